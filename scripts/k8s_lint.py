"""What schema validation does not catch in the rendered Kubernetes manifests.

Reads the documents of one rendered overlay (YAML on stdin or a file) and checks that:
selectors match their pods' labels; probe and Service ports name real container ports; every
Secret and ConfigMap a pod refers to exists (or is one the operator creates, listed in the
overlay's `secrets.required`); every environment variable is one the binary reads, taken from
the binary's own help; every container runs a real subcommand; CronJob schedules have five
fields and ScheduledBackup schedules six, and parse; every container has requests and limits. Prints one line per failure and
`N passed, M failed`; exits 1 on any failure.
"""

import re
import subprocess
import sys

import yaml
from croniter import croniter

WORKLOADS = {"Deployment", "Job", "CronJob", "StatefulSet", "DaemonSet"}


def pod_template(doc):
    spec = doc.get("spec", {})
    if doc["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]
    return spec["template"]


def binary_env(binary):
    """Variables the binary reads: those clap lists for each subcommand, and those the
    `serve` help names in its own words."""
    names = set()
    for args in (["serve", "--help"], ["--help"]):
        text = subprocess.run([binary, *args], capture_output=True, text=True, check=True).stdout
        names |= set(re.findall(r"env: ([A-Z][A-Z0-9_]+)=", text))
        names |= set(re.findall(r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|RUST_LOG)\b", text))
    return names


def subcommands(binary):
    text = subprocess.run([binary, "--help"], capture_output=True, text=True, check=True).stdout
    block = text.split("Commands:", 1)[1].split("Options:", 1)[0]
    return {line.split()[0] for line in block.splitlines() if line.strip()}


def main():
    binary, rendered, required_path = sys.argv[1], sys.argv[2], sys.argv[3]
    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    required = {}
    if required_path != "-":
        for line in open(required_path):
            line = line.split("#", 1)[0].strip()
            if line:
                name, keys = line.split(":", 1)
                required[name.strip()] = {k.strip() for k in keys.split(",")}
    known_env = binary_env(binary)
    commands = subcommands(binary)
    secrets = dict(required)
    config_maps = {}
    for d in docs:
        name = d["metadata"]["name"]
        if d["kind"] == "Secret":
            secrets[name] = set(d.get("data", {})) | set(d.get("stringData", {}))
        if d["kind"] == "ConfigMap":
            config_maps[name] = set(d.get("data", {}))
    passed, failures = 0, []

    def check(ok, what):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failures.append(what)

    pods = {}
    for d in docs:
        if d["kind"] not in WORKLOADS:
            continue
        where = f'{d["kind"]}/{d["metadata"]["name"]}'
        template = pod_template(d)
        labels = template.get("metadata", {}).get("labels", {})
        pods[where] = labels
        selector = d.get("spec", {}).get("selector", {}).get("matchLabels")
        if selector is not None:
            check(all(labels.get(k) == v for k, v in selector.items()),
                  f"{where}: selector {selector} does not match its pods' labels {labels}")
        spec = template["spec"]
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                check(volume["secret"]["secretName"] in secrets, f"{where}: no Secret {volume['secret']['secretName']}")
            if "configMap" in volume:
                check(volume["configMap"]["name"] in config_maps, f"{where}: no ConfigMap {volume['configMap']['name']}")
        for c in spec.get("initContainers", []) + spec["containers"]:
            cwhere = f"{where} {c['name']}"
            ports = {p.get("name") for p in c.get("ports", [])}
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                port = c.get(probe, {}).get("httpGet", {}).get("port")
                if port is not None:
                    check(port in ports or isinstance(port, int), f"{cwhere}: {probe} port {port} is no container port")
            resources = c.get("resources", {})
            for kind in ("requests", "limits"):
                check({"cpu", "memory"} <= set(resources.get(kind, {})), f"{cwhere}: {kind} for cpu and memory")
            args = c.get("args") or []
            check(not c.get("command") and bool(args) and args[0] in commands,
                  f"{cwhere}: runs {args!r}, not a borderslot subcommand ({sorted(commands)})")
            env = c.get("env", [])
            # A variable may exist only to be spelled into another one ($(NAME)), which
            # Kubernetes expands from variables defined before it.
            spelled_into = {}
            for position, e in enumerate(env):
                for name in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", e.get("value", "")):
                    spelled_into.setdefault(name, position)
            defined_at = {e["name"]: position for position, e in enumerate(env)}
            for name, position in spelled_into.items():
                check(defined_at.get(name, position) < position,
                      f"{cwhere}: $({name}) is used before it is defined")
            for e in env:
                check(("value" in e) != ("valueFrom" in e), f"{cwhere}: {e['name']} needs one of value and valueFrom")
                check(e["name"] in known_env or e["name"] in spelled_into,
                      f"{cwhere}: the binary reads no {e['name']}")
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    check(ref["key"] in secrets.get(ref["name"], set()),
                          f"{cwhere}: no key {ref['key']} in Secret {ref['name']}")
                cref = e.get("valueFrom", {}).get("configMapKeyRef")
                if cref and not cref.get("optional"):
                    check(cref["key"] in config_maps.get(cref["name"], set()),
                          f"{cwhere}: no key {cref['key']} in ConfigMap {cref['name']}")
            for source in c.get("envFrom", []):
                if "configMapRef" in source:
                    name = source["configMapRef"]["name"]
                    check(name in config_maps, f"{cwhere}: no ConfigMap {name}")
                    for key in config_maps.get(name, ()):
                        check(key in known_env, f"{cwhere}: ConfigMap {name} sets {key}, which the binary does not read")
                if "secretRef" in source:
                    check(source["secretRef"]["name"] in secrets, f"{cwhere}: no Secret {source['secretRef']['name']}")
        if d["kind"] == "CronJob":
            schedule = d["spec"]["schedule"]
            check(len(schedule.split()) == 5 and croniter.is_valid(schedule),
                  f"{where}: schedule {schedule!r} is not five cron fields")
    for d in docs:
        where = f'{d["kind"]}/{d["metadata"]["name"]}'
        if d["kind"] == "ScheduledBackup":
            # CloudNativePG reads six fields, seconds first; five would run every hour.
            fields = d["spec"]["schedule"].split()
            check(len(fields) == 6 and croniter.is_valid(" ".join(fields[1:])),
                  f"{where}: schedule {d['spec']['schedule']!r} is not six cron fields")
        if d["kind"] == "Service" and d["spec"].get("type") != "ExternalName":
            selector = d["spec"].get("selector", {})
            matching = [w for w, labels in pods.items()
                        if w.startswith("Deployment/") and all(labels.get(k) == v for k, v in selector.items())]
            check(bool(matching), f"{where}: selector {selector} matches no Deployment's pods")
            named = set()
            for w in matching:
                workload = next(x for x in docs if f'{x["kind"]}/{x["metadata"]["name"]}' == w)
                for c in pod_template(workload)["spec"]["containers"]:
                    named |= {p.get("name") for p in c.get("ports", [])}
            for port in d["spec"]["ports"]:
                target = port.get("targetPort")
                check(isinstance(target, int) or target in named, f"{where}: targetPort {target} names no container port")
        if d["kind"] in ("PodDisruptionBudget",):
            selector = d["spec"]["selector"]["matchLabels"]
            check(any(all(l.get(k) == v for k, v in selector.items()) for l in pods.values()),
                  f"{where}: selector {selector} matches no pods")
        if d["kind"] == "HorizontalPodAutoscaler":
            target = d["spec"]["scaleTargetRef"]
            check(f'{target["kind"]}/{target["name"]}' in pods, f"{where}: no {target['kind']} {target['name']}")
        if d["kind"] == "Ingress":
            services = {x["metadata"]["name"]: x for x in docs if x["kind"] == "Service"}
            for rule in d["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    backend = path["backend"]["service"]
                    service = services.get(backend["name"])
                    check(service is not None and backend["port"].get("name") in {p.get("name") for p in service["spec"]["ports"]},
                          f"{where}: {path['path']} goes to no port {backend['port']} of Service {backend['name']}")
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"{passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
