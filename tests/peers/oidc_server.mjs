// An outside authorization server for the doctor tests: the npm `oidc-provider` (pinned in
// package.json / package-lock.json), on 127.0.0.1 only, with one pre-registered client.
//
//   node oidc_server.mjs PORT            (or OIDC_PORT=PORT; 0 picks a free port)
//
// Prints `READY <issuer>` on stdout once it listens. Access tokens are JWTs (RFC 9068) whose
// `aud` is the `resource` the client asked for (RFC 8707), as an MCP server expects.
// Configuration follows oidc-provider 9.x (lib/helpers/defaults.js of the pinned version).
import * as http from 'node:http';

import { Provider, errors } from 'oidc-provider';

const HOST = '127.0.0.1';
const requested = Number(process.argv[2] ?? process.env.OIDC_PORT ?? 0);
const CLIENT_ID = process.env.OIDC_CLIENT_ID ?? 'mcp_peer_client';
const CLIENT_SECRET = process.env.OIDC_CLIENT_SECRET ?? 'peer-client-secret-not-for-production';
// The resource scope MCP clients ask for (from the server's challenge / scopes_supported).
const RESOURCE_SCOPE = process.env.OIDC_RESOURCE_SCOPE ?? 'mcp:invoke';
const EXTRA_REDIRECTS = (process.env.OIDC_EXTRA_REDIRECT_URIS ?? '').split(',').filter(Boolean);

// Bind first, so the issuer names the port actually used (port 0 → a free one).
const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(requested, HOST, resolve);
});
const { port } = server.address();
const issuer = `http://${HOST}:${port}`;

// Resource indicators this server issues tokens for: any http URL on the loopback hosts
// (the MCP server under test and "another" resource); anything else is invalid_target.
function loopbackResource(indicator) {
  try {
    const url = new URL(indicator);
    return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost');
  } catch {
    return false;
  }
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [
      'http://localhost:8976/callback', // mcpauth doctor --login's default loopback listener
      'http://127.0.0.1:8976/callback',
      'https://chatgpt.com/connector_platform_oauth_redirect',
      ...EXTRA_REDIRECTS,
    ],
  }],
  // Any login is accepted by the built-in development login form (devInteractions).
  async findAccount(_ctx, id) {
    return { accountId: id, async claims() { return { sub: id }; } };
  },
  pkce: { required: () => true },
  cookies: { keys: ['mcpauth-doctor-peer-test-cookie-key'] },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: () => true, // the code exchange needs no `resource` again
      getResourceServerInfo: (_ctx, indicator) => {
        if (!loopbackResource(indicator)) throw new errors.InvalidTarget();
        return {
          scope: RESOURCE_SCOPE,
          audience: indicator,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

server.on('request', provider.callback());
process.stdout.write(`READY ${issuer}\n`);

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
