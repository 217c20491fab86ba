// The OpenID Connect provider the tests sign in through: the certified `oidc-provider` package
// on loopback, configured by one JSON argument:
//   { "port", "modules" (the node_modules folder holding oidc-provider), "keys_file",
//     "audience" (of access tokens), "clients": [...], "accounts": { login: extra claims } }
// Each start adds a fresh RSA signing key in front of those already in `keys_file` and keeps
// publishing the older ones: starting it again is a key rotation. The current key is also
// written as PKCS#1 DER (`keys_file` + ".der") so that tests can sign tokens as the provider
// would.
// Sign-in asks only for a login name (no password, no consent): accounts are made up from it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;
const { default: Provider } = await import(
  pathToFileURL(join(config.modules, 'oidc-provider', 'lib', 'index.js')).href
);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const current = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
const older = existsSync(config.keys_file) ? JSON.parse(readFileSync(config.keys_file, 'utf8')) : [];
const keys = [current, ...older];
writeFileSync(config.keys_file, JSON.stringify(keys));
writeFileSync(`${config.keys_file}.der`, privateKey.export({ format: 'der', type: 'pkcs1' }));

const accounts = config.accounts || {};
const claimsOf = (login) => ({
  sub: login,
  preferred_username: login,
  name: login,
  ...(accounts[login] || {}),
});
const extraClaims = Object.keys(Object.assign({}, ...Object.values(accounts)));

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys },
  cookies: { keys: ['borderslot test provider cookies'] },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username', ...extraClaims] },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => claimsOf(id) }),
  extraTokenClaims: async (_ctx, token) => {
    const claims = claimsOf(token.accountId);
    return Object.fromEntries(extraClaims.concat('preferred_username').map((k) => [k, claims[k]]));
  },
  // The test's own clients are trusted: whatever they ask for is granted without a consent page.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
    grant.addResourceScope(config.audience, 'api');
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = `<!DOCTYPE html><html><head><title>Sign out</title></head><body>
          <h1>Sign out of the test provider?</h1>${form}
          <button id="op-sign-out" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
          </body></html>`;
      },
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => config.audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: config.audience,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 600,
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});

const page = (uid) => `<!DOCTYPE html><html lang="en"><head><title>Test provider sign-in</title></head>
<body><h1>Sign in to the test provider</h1>
<form method="post" action="/interaction/${uid}">
<label for="login">Login</label> <input id="login" name="login" autofocus>
<button id="op-sign-in" type="submit">Sign in</button></form></body></html>`;

const readBody = (req) => new Promise((resolve, reject) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => resolve(body));
  req.on('error', reject);
});

const handle = provider.callback();
createServer(async (req, res) => {
  const match = new URL(req.url, issuer).pathname.match(/^\/interaction\/([^/]+)$/);
  if (!match) {
    handle(req, res);
    return;
  }
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page(details.uid));
      return;
    }
    const login = new URLSearchParams(await readBody(req)).get('login') || 'anonymous';
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  } catch (error) {
    res.statusCode = 400;
    res.end(String(error));
  }
}).listen(config.port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
