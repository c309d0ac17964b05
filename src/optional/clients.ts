/**
 * Client setup of the Azure and GCP SDKs, shared by the audit's readers and `traffic --live`:
 * credentials from a fixed token (MICROSEG_AZURE_ACCESS_TOKEN, MICROSEG_GCP_ACCESS_TOKEN), the
 * endpoint options (sovereign clouds, local emulators) and bearer tokens over plain HTTP to a
 * loopback emulator. The SDKs themselves are passed in or resolved lazily, so that importing this
 * module loads none of them.
 *
 * Like `load.ts`, it imports nothing of ours, so the audit and traffic share it without depending
 * on each other.
 *
 * @internal (not exported from any submodule index)
 */
import { createRequire } from 'module';

/** The part of an Azure `TokenCredential` microseg calls. */
export interface TokenCredentialLike {
  getToken(scopes: string[]): Promise<{ token: string } | null>;
}

/** A credential that returns a fixed bearer token (CI with a pre-fetched token, tests). */
export function staticTokenCredential(token: string): { getToken(): Promise<{ token: string; expiresOnTimestamp: number }> } {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }) };
}

/** True for http:// URLs on the loopback interface. */
export function isLoopbackHttp(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    const u = new URL(endpoint);
    return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(u.hostname);
  } catch {
    return false;
  }
}

/**
 * The Azure credential: `given`, else a static one from MICROSEG_AZURE_ACCESS_TOKEN, else
 * `DefaultAzureCredential` of `@azure/identity` (loaded by `identity` only then).
 */
export function azureCredential(identity: () => { DefaultAzureCredential: new () => unknown }, given?: unknown): unknown {
  if (given) return given;
  const token = process.env.MICROSEG_AZURE_ACCESS_TOKEN;
  return token ? staticTokenCredential(token) : new (identity().DefaultAzureCredential)();
}

/**
 * Options of an Azure management client: the endpoint (trailing slashes already trimmed) with its
 * `.default` scope when given, and the retry count.
 */
export function azureClientOptions(endpoint: string | undefined, maxRetries: number): Record<string, unknown> {
  return {
    ...(endpoint ? { endpoint, credentialScopes: [`${endpoint}/.default`] } : {}),
    retryOptions: { maxRetries },
  };
}

/**
 * When `endpoint` is plain HTTP on loopback (a local emulator), replaces the client's bearer token
 * policy (the SDK sends bearer tokens over TLS only) with one that sends the token anyway.
 */
export function allowLoopbackBearer(client: { pipeline: any }, credential: unknown, endpoint: string | undefined): void {
  if (!isLoopbackHttp(endpoint)) return;
  const cred = credential as TokenCredentialLike;
  client.pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
  client.pipeline.addPolicy({
    name: 'microsegLoopbackBearer',
    sendRequest: async (req: any, next: any) => {
      const t = await cred.getToken(['https://management.azure.com/.default']);
      if (t) req.headers.set('authorization', `Bearer ${t.token}`);
      req.allowInsecureConnection = true;
      return next(req);
    },
  }, { phase: 'Sign' });
}

/** google-gax as `@google-cloud/compute` resolves it (call only once the SDK has loaded). */
export function gaxModule(): any {
  return createRequire(require.resolve('@google-cloud/compute'))('google-gax');
}

/** An OAuth2 client holding MICROSEG_GCP_ACCESS_TOKEN, or undefined when it is not set. */
export function gcpTokenClient(): unknown {
  const token = process.env.MICROSEG_GCP_ACCESS_TOKEN;
  if (!token) return undefined;
  const client = new (gaxModule().googleAuthLibrary.OAuth2Client)();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3600_000 });
  return client;
}

/** The GCP client options of an endpoint URL (`apiEndpoint`, `port`, `protocol`); none without one. */
export function gcpEndpointOptions(endpoint: string | undefined): Record<string, unknown> {
  if (!endpoint) return {};
  const u = new URL(endpoint);
  return {
    apiEndpoint: u.hostname,
    port: u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443,
    protocol: u.protocol.replace(':', ''),
  };
}
