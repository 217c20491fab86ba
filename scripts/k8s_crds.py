"""Validates the operator resources of a rendered overlay against their CRD schemas.

kubernetes-validate knows only Kubernetes' own kinds; the custom resources (Prometheus Operator,
CloudNativePG, RabbitMQ) are checked here against the schemas in `shared/crd-schemas`
(`<group>/<kind>_<version>.json`). Those schemas allow unknown fields, so every object that lists
its `properties` (and does not preserve unknown fields) is made closed first: a misspelt field
fails. Reads: the schema folder, the rendered YAML, and writes the remaining (built-in) documents
to a third path for kubernetes-validate. Prints one line per resource; exits 1 on any failure.
"""

import json
import sys
from pathlib import Path

import jsonschema
import yaml


def closed(schema):
    if isinstance(schema, dict):
        schema = {k: closed(v) for k, v in schema.items()}
        if (
            "properties" in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
            and "additionalProperties" not in schema
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [closed(v) for v in schema]
    return schema


def main():
    schemas, rendered, builtin_out = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    builtin, failed = [], 0
    for doc in docs:
        group, _, version = doc["apiVersion"].rpartition("/")
        path = schemas / group / f'{doc["kind"].lower()}_{version}.json' if group else None
        if path is None or not (schemas / group).is_dir():
            builtin.append(doc)
            continue
        name = f'{doc["kind"]}/{doc["metadata"]["name"]}'
        if not path.is_file():
            print(f"FAIL {name}: no schema {path}")
            failed += 1
            continue
        schema = closed(json.loads(path.read_text()))
        # Metadata is Kubernetes' own (kubectl and the API server check it), left open here.
        schema.setdefault("properties", {})["metadata"] = {"type": "object"}
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str)
        for error in errors:
            print(f"FAIL {name}: {'/'.join(map(str, error.path))}: {error.message}")
        failed += bool(errors)
        if not errors:
            print(f"ok {name} against {path.relative_to(schemas)}")
    with open(builtin_out, "w") as out:
        yaml.safe_dump_all(builtin, out, sort_keys=False)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
