/**
 * The Azure/GCP client setup shared by the audit's readers and `traffic --live`
 * (src/optional/clients.ts). The readers' tests drive it against local API servers; these pin the
 * pieces on their own: which endpoints count as a loopback emulator, the options an endpoint
 * becomes, and that `@azure/identity` is loaded only when no token is given.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { azureClientOptions, azureCredential, gcpEndpointOptions, gcpTokenClient, isLoopbackHttp, staticTokenCredential } from '../../src/optional/clients';

const saved = { azure: process.env.MICROSEG_AZURE_ACCESS_TOKEN, gcp: process.env.MICROSEG_GCP_ACCESS_TOKEN };
afterEach(() => {
  for (const [k, v] of [['MICROSEG_AZURE_ACCESS_TOKEN', saved.azure], ['MICROSEG_GCP_ACCESS_TOKEN', saved.gcp]] as const) {
    if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
});

describe('cloud SDK client setup', () => {
  it('only plain HTTP on the loopback interface counts as a local emulator', () => {
    for (const e of ['http://127.0.0.1:8080', 'http://localhost/', 'http://[::1]:99']) expect(isLoopbackHttp(e)).toBe(true);
    for (const e of [undefined, '', 'https://127.0.0.1', 'http://10.0.0.1', 'http://management.azure.com', 'not a url']) expect(isLoopbackHttp(e)).toBe(false);
  });

  it('an Azure endpoint brings its .default scope; the retry count is always set', () => {
    expect(azureClientOptions(undefined, 5)).toEqual({ retryOptions: { maxRetries: 5 } });
    expect(azureClientOptions('https://management.usgovcloudapi.net', 2)).toEqual({
      endpoint: 'https://management.usgovcloudapi.net',
      credentialScopes: ['https://management.usgovcloudapi.net/.default'],
      retryOptions: { maxRetries: 2 },
    });
  });

  it('the Azure credential: the given one, else the token of the environment, else DefaultAzureCredential (loaded only then)', async () => {
    let loaded = 0;
    class DefaultAzureCredential { readonly kind = 'default'; }
    const identity = () => { loaded++; return { DefaultAzureCredential }; };
    const given = staticTokenCredential('given');
    expect(azureCredential(identity, given)).toBe(given);
    process.env.MICROSEG_AZURE_ACCESS_TOKEN = 'from-env';
    const fromEnv = azureCredential(identity) as ReturnType<typeof staticTokenCredential>;
    expect((await fromEnv.getToken()).token).toBe('from-env');
    expect(loaded).toBe(0);
    delete process.env.MICROSEG_AZURE_ACCESS_TOKEN;
    expect(azureCredential(identity)).toBeInstanceOf(DefaultAzureCredential);
    expect(loaded).toBe(1);
  });

  it('a GCP endpoint URL becomes host, port (the scheme\'s default when absent) and protocol', () => {
    expect(gcpEndpointOptions(undefined)).toEqual({});
    expect(gcpEndpointOptions('http://127.0.0.1:4010')).toEqual({ apiEndpoint: '127.0.0.1', port: 4010, protocol: 'http' });
    expect(gcpEndpointOptions('http://compute.local')).toEqual({ apiEndpoint: 'compute.local', port: 80, protocol: 'http' });
    expect(gcpEndpointOptions('https://compute.googleapis.com/')).toEqual({ apiEndpoint: 'compute.googleapis.com', port: 443, protocol: 'https' });
  });

  it('the GCP token client holds MICROSEG_GCP_ACCESS_TOKEN, and is absent without it', async () => {
    delete process.env.MICROSEG_GCP_ACCESS_TOKEN;
    expect(gcpTokenClient()).toBeUndefined();
    process.env.MICROSEG_GCP_ACCESS_TOKEN = 'gcp-token';
    const client = gcpTokenClient() as { getAccessToken(): Promise<{ token?: string | null }> };
    expect((await client.getAccessToken()).token).toBe('gcp-token');
  });
});
