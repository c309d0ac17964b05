/**
 * The audit fails closed under every fault of an endpoint: garbage bodies, token loops, servers
 * that accept and never answer, drip-fed bodies, `Retry-After: 600`. Real SDK clients against the
 * local API servers (loopback only, each closes itself after its lifetime). Every case must end
 * in exit code 2, naming the call, within a bounded time (short timeouts through the options).
 * Each case prints `hostile: <case> -> exit <code> in <ms> ms` (the figures of the closing note).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cloud } from '../../src';
import { runAudit, RunOptions } from '../../src/audit/run';
import { shopManifest } from './fixtures';
import { azureTestCredential, fakeAwsEnv, writeManifestFile } from './helpers';
import { ec2StateFromManifest, Ec2ServerOptions, startEc2Server } from '../support/servers/aws-ec2-server';
import { armStateFromManifest, ArmServerOptions, startArmServer } from '../support/servers/azure-arm-server';
import { GARBAGE, Hostile } from '../support/servers/faults';
import { gcpStateFromManifest, GcpServerOptions, startGcpServer } from '../support/servers/gcp-compute-server';

/** Short bounds so that every case ends in seconds. */
const FAST = { requestTimeoutSeconds: 1, timeoutSeconds: 4, maxRetryAfterSeconds: 1 } as const;

// The SDKs load and set up once before the clock runs (synchronous, seconds on a busy machine):
// one faithful audit per cloud, which must be clean.
beforeAll(async () => {
  const m = shopManifest();
  const file = writeManifestFile(m);
  const [ec2, arm, gce] = await Promise.all([startEc2Server(ec2StateFromManifest(m)), startArmServer(armStateFromManifest(m)), startGcpServer(gcpStateFromManifest(m))]);
  try {
    fakeAwsEnv(ec2.url);
    process.env.MICROSEG_GCP_ACCESS_TOKEN = 'gcp-test-token';
    const codes = [
      (await runAudit({ manifestFile: file, cloud: Cloud.AWS })).exitCode,
      (await runAudit({ manifestFile: file, cloud: Cloud.AZURE, azureEndpoint: arm.url, azureCredential: azureTestCredential })).exitCode,
      (await runAudit({ manifestFile: file, cloud: Cloud.GCP, gcpEndpoint: gce.url })).exitCode,
    ];
    expect(codes).toEqual([0, 0, 0]);
  } finally {
    await Promise.all([ec2.close(), arm.close(), gce.close()]);
  }
}, 60_000);

const closers: (() => Promise<void>)[] = [];
afterEach(async () => { await Promise.all(closers.splice(0).map(c => c())); delete process.env.MICROSEG_GCP_ACCESS_TOKEN; });

async function timed(name: string, run: () => Promise<{ exitCode: number; errors: string[] }>) {
  const started = Date.now();
  const out = await run();
  const ms = Date.now() - started;
  // eslint-disable-next-line no-console
  console.log(`hostile: ${name} -> exit ${out.exitCode} in ${ms} ms`);
  return { ...out, ms };
}

async function aws(name: string, options: Ec2ServerOptions, extra: Partial<RunOptions> = {}) {
  const m = shopManifest();
  const server = await startEc2Server(ec2StateFromManifest(m), { lifetimeMs: 30_000, ...options });
  closers.push(server.close);
  fakeAwsEnv(server.url);
  const file = writeManifestFile(m);
  const out = await timed(`aws ${name}`, () => runAudit({ manifestFile: file, cloud: Cloud.AWS, awsMaxAttempts: 2, ...FAST, ...extra }));
  return { ...out, server };
}

async function azure(name: string, options: ArmServerOptions, extra: Partial<RunOptions> = {}) {
  const m = shopManifest();
  const server = await startArmServer(armStateFromManifest(m), { pageSize: 2, lifetimeMs: 30_000, ...options });
  closers.push(server.close);
  const file = writeManifestFile(m);
  const out = await timed(`azure ${name}`, () => runAudit({ manifestFile: file, cloud: Cloud.AZURE, azureEndpoint: server.url, azureCredential: azureTestCredential, ...FAST, ...extra }));
  return { ...out, server };
}

async function gcp(name: string, options: GcpServerOptions, extra: Partial<RunOptions> = {}) {
  const m = shopManifest();
  const server = await startGcpServer(gcpStateFromManifest(m), { maxPage: 3, lifetimeMs: 30_000, ...options });
  closers.push(server.close);
  process.env.MICROSEG_GCP_ACCESS_TOKEN = 'gcp-test-token';
  const file = writeManifestFile(m);
  const out = await timed(`gcp ${name}`, () => runAudit({ manifestFile: file, cloud: Cloud.GCP, gcpEndpoint: server.url, ...FAST, ...extra }));
  return { ...out, server };
}

const EC2_NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"';
const AWS_CALLS = ['DescribeSecurityGroups', 'DescribeSecurityGroupRules', 'DescribeNetworkAcls', 'DescribeNetworkInterfaces'] as const;
const awsGarbage = (action: string): Record<string, Hostile> => ({
  'an HTML page': { body: GARBAGE.html },
  'an empty body': { body: GARBAGE.empty, contentType: 'text/xml' },
  "another action's XML": {
    body: action === 'DescribeNetworkAcls'
      ? `<?xml version="1.0"?><DescribeVpcsResponse ${EC2_NS}><requestId>x</requestId><vpcSet/></DescribeVpcsResponse>`
      : `<?xml version="1.0"?><DescribeNetworkAclsResponse ${EC2_NS}><requestId>x</requestId><networkAclSet/></DescribeNetworkAclsResponse>`,
    contentType: 'text/xml',
  },
  'JSON {}': { body: GARBAGE.emptyObject, contentType: 'application/json' },
  'billion-laughs XML': { body: GARBAGE.billionLaughs.replace(/DescribeSecurityGroups/g, action), contentType: 'text/xml' },
  'no result element': { body: `<?xml version="1.0"?><${action}Response ${EC2_NS}><requestId>x</requestId></${action}Response>`, contentType: 'text/xml' },
});

describe('AWS: garbage on any call is exit 2 naming the call', () => {
  for (const action of AWS_CALLS) {
    for (const [variant, hostile] of Object.entries(awsGarbage(action))) {
      it(`${action} answers 200 with ${variant}`, async () => {
        const out = await aws(`${action} 200 ${variant}`, { hostile: r => r.action === action ? hostile : undefined });
        expect(out.exitCode).toBe(2);
        expect(out.errors.join('\n')).toContain(`aws eu-west-1 ${action}`);
        expect(out.ms).toBeLessThan(5000);
      });
    }
  }
});

describe('AWS: paging, timeouts and Retry-After are bounded', () => {
  it('a repeated nextToken stops at the second page', async () => {
    const out = await aws('DescribeSecurityGroups repeated nextToken', { nextToken: r => r.action === 'DescribeSecurityGroups' ? 'same-token' : undefined });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/DescribeSecurityGroups: PagingLoop: the server returned the same page token twice/);
    expect(out.server.requests.filter(r => r.action === 'DescribeSecurityGroups').length).toBe(2);
  });

  it('an ever-new nextToken stops at the page cap (default: 200 pages of 1,000)', async () => {
    const out = await aws('DescribeNetworkInterfaces ever-new nextToken', { nextToken: r => r.action === 'DescribeNetworkInterfaces' ? `t${r.count}` : undefined }, { timeoutSeconds: 60 });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/DescribeNetworkInterfaces: TooManyPages: more than 200 pages/);
    expect(out.server.requests.filter(r => r.action === 'DescribeNetworkInterfaces').length).toBe(200);
  });

  it('a server that accepts and never answers hits the request timeout', async () => {
    const out = await aws('DescribeSecurityGroupRules hang', { hostile: r => r.action === 'DescribeSecurityGroupRules' ? { hang: true } : undefined });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/DescribeSecurityGroupRules: MicrosegRequestTimeout: no complete answer within the 1 s request timeout/);
    expect(out.ms).toBeLessThan(4000);
  });

  it('a drip-fed body hits the request timeout', async () => {
    const body = `<?xml version="1.0"?><DescribeNetworkAclsResponse ${EC2_NS}><requestId>x</requestId><networkAclSet/></DescribeNetworkAclsResponse>`;
    const out = await aws('DescribeNetworkAcls drip-fed body', { hostile: r => r.action === 'DescribeNetworkAcls' ? { drip: body, everyMs: 100, contentType: 'text/xml' } : undefined });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/DescribeNetworkAcls: MicrosegRequestTimeout/);
    expect(out.ms).toBeLessThan(4000);
  });

  it('Retry-After: 600 fails the call at once instead of waiting', async () => {
    const out = await aws('DescribeSecurityGroups 503 Retry-After 600', {
      hostile: r => r.action === 'DescribeSecurityGroups' ? { status: 503, headers: { 'retry-after': '600' }, contentType: 'text/xml', body: '<Response><Errors><Error><Code>Unavailable</Code><Message>busy</Message></Error></Errors></Response>' } : undefined,
    }, { awsMaxAttempts: 10 });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/DescribeSecurityGroups: RetryAfterTooLong: the server asked to retry after 600 s/);
    expect(out.ms).toBeLessThan(3000);
  });

  it('the overall deadline (--timeout) stops a read the request timeout would let go on', async () => {
    const out = await aws('DescribeNetworkInterfaces hang, deadline 1.5 s', { hostile: r => r.action === 'DescribeNetworkInterfaces' ? { hang: true } : undefined }, { requestTimeoutSeconds: 60, timeoutSeconds: 1.5 });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/DescribeNetworkInterfaces: MicrosegDeadline: the overall deadline \(--timeout\) passed/);
    expect(out.ms).toBeLessThan(4000);
  });
});

const AZURE_KINDS = [['networkSecurityGroups', 'networkSecurityGroups.list'], ['applicationSecurityGroups', 'applicationSecurityGroups.list'], ['networkInterfaces', 'networkInterfaces.list']] as const;
const azureGarbage: Record<string, Hostile> = {
  'an HTML page': { body: GARBAGE.html },
  'an empty body': { body: GARBAGE.empty, contentType: 'application/json' },
  '{}': { body: GARBAGE.emptyObject, contentType: 'application/json' },
  '{"value":null}': { body: GARBAGE.nullValue, contentType: 'application/json' },
  'one resource instead of a list': { body: JSON.stringify({ id: '/subscriptions/x', name: 'x', properties: {} }), contentType: 'application/json' },
};

describe('Azure: garbage on any list is exit 2 naming the call', () => {
  for (const [kind, call] of AZURE_KINDS) {
    for (const [variant, hostile] of Object.entries(azureGarbage)) {
      it(`${call} answers 200 with ${variant}`, async () => {
        const out = await azure(`${call} 200 ${variant}`, { hostile: r => r.kind === kind ? hostile : undefined });
        expect(out.exitCode).toBe(2);
        expect(out.errors.join('\n')).toContain(`azure ${call}`);
        expect(out.ms).toBeLessThan(5000);
      });
    }
  }
});

describe('Azure: paging, timeouts and Retry-After are bounded', () => {
  it('a nextLink pointing back to its own page stops', async () => {
    const out = await azure('networkInterfaces.list self-pointing nextLink', { nextLink: r => r.kind === 'networkInterfaces' ? r.url : undefined });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/networkInterfaces\.list .*PagingLoop/);
    expect(out.server.requests.filter(r => r.path.endsWith('/networkInterfaces')).length).toBeLessThanOrEqual(2);
  });

  it('an ever-new nextLink stops at the page cap', async () => {
    const out = await azure('networkSecurityGroups.list ever-new nextLink', { nextLink: r => r.kind === 'networkSecurityGroups' ? `${r.url.split('?')[0]}?api-version=2024-05-01&$skiptoken=x${r.count}` : undefined }, { timeoutSeconds: 60 });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/networkSecurityGroups\.list .*TooManyPages: more than 100 pages/);
  });

  it('a server that accepts and never answers hits the request timeout', async () => {
    const out = await azure('networkInterfaces.list hang', { hostile: r => r.kind === 'networkInterfaces' ? { hang: true } : undefined });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/networkInterfaces\.list .*(MicrosegRequestTimeout|MicrosegDeadline)/);
    expect(out.ms).toBeLessThan(5000);
  });

  it('a drip-fed body hits the request timeout', async () => {
    const out = await azure('networkSecurityGroups.list drip-fed body', { hostile: r => r.kind === 'networkSecurityGroups' ? { drip: JSON.stringify({ value: [] }) + ' '.repeat(40), everyMs: 100 } : undefined });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/networkSecurityGroups\.list .*(MicrosegRequestTimeout|MicrosegDeadline)/);
    expect(out.ms).toBeLessThan(5000);
  });

  it('429 with Retry-After: 600 fails the call at once', async () => {
    const out = await azure('applicationSecurityGroups.list 429 Retry-After 600', {
      fault: r => r.kind === 'applicationSecurityGroups' ? { status: 429, code: 'TooManyRequests', message: 'throttled', headers: { 'retry-after': '600' } } : undefined,
    });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/applicationSecurityGroups\.list .*RetryAfterTooLong: the server asked to retry after 600 s/);
    expect(out.ms).toBeLessThan(3000);
  });

  it('the overall deadline stops a read the request timeout would let go on', async () => {
    const out = await azure('networkSecurityGroups.list hang, deadline 1.5 s', { hostile: r => r.kind === 'networkSecurityGroups' ? { hang: true } : undefined }, { requestTimeoutSeconds: 60, timeoutSeconds: 1.5 });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/networkSecurityGroups\.list .*MicrosegDeadline/);
    expect(out.ms).toBeLessThan(4000);
  });
});

const gcpGarbage: Record<string, Hostile> = {
  'an HTML page': { body: GARBAGE.html },
  'an empty body': { body: GARBAGE.empty, contentType: 'application/json' },
  '{}': { body: GARBAGE.emptyObject, contentType: 'application/json' },
  '{"items":null}': { body: '{"items":null}', contentType: 'application/json' },
  'another resource': { body: JSON.stringify({ kind: 'compute#network', name: 'prod' }), contentType: 'application/json' },
};

describe('GCP: garbage on firewalls.list is exit 2 naming the call', () => {
  for (const [variant, hostile] of Object.entries(gcpGarbage)) {
    it(`firewalls.list answers 200 with ${variant}`, async () => {
      const out = await gcp(`firewalls.list 200 ${variant}`, { hostile: r => r.page === 2 ? hostile : undefined });
      expect(out.exitCode).toBe(2);
      expect(out.errors.join('\n')).toContain('gcp firewalls.list');
      expect(out.ms).toBeLessThan(5000);
    });
  }
});

describe('GCP: paging, timeouts and Retry-After are bounded', () => {
  it('a repeated pageToken stops at the second page', async () => {
    const out = await gcp('firewalls.list repeated pageToken', { pageToken: () => 'same-token' });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/firewalls\.list .*PagingLoop/);
    expect(out.server.requests.length).toBe(2);
  });

  it('an ever-new pageToken stops at the page cap (default 100 pages of 500)', async () => {
    const out = await gcp('firewalls.list ever-new pageToken', { pageToken: r => `t${r.count}` }, { timeoutSeconds: 60 });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/TooManyPages: more than 100 pages/);
    expect(out.server.requests.length).toBe(100);
  });

  it('a server that accepts and never answers hits the request timeout', async () => {
    const out = await gcp('firewalls.list hang', { hostile: () => ({ hang: true }) });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/firewalls\.list .*(MicrosegRequestTimeout|MicrosegDeadline)/);
    expect(out.ms).toBeLessThan(5000);
  });

  it('a drip-fed body hits the request timeout', async () => {
    const out = await gcp('firewalls.list drip-fed body', { hostile: () => ({ drip: JSON.stringify({ kind: 'compute#firewallList', items: [] }) + ' '.repeat(40), everyMs: 100 }) });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/firewalls\.list .*(MicrosegRequestTimeout|MicrosegDeadline)/);
    expect(out.ms).toBeLessThan(5000);
  });

  it('429 with Retry-After: 600 fails the call without waiting', async () => {
    const out = await gcp('firewalls.list 429 Retry-After 600', {
      hostile: () => ({ status: 429, headers: { 'retry-after': '600' }, contentType: 'application/json', body: JSON.stringify({ error: { code: 429, message: 'rate limited', errors: [{ reason: 'rateLimitExceeded' }] } }) }),
    });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/gcp firewalls\.list .*RetryAfterTooLong: the server asked to retry after 600 s/);
    expect(out.server.requests.length).toBe(1);
    expect(out.ms).toBeLessThan(3000);
  });

  it('the overall deadline stops a read the request timeout would let go on', async () => {
    const out = await gcp('firewalls.list hang, deadline 1.5 s', { hostile: () => ({ hang: true }) }, { requestTimeoutSeconds: 60, timeoutSeconds: 1.5 });
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toMatch(/firewalls\.list .*MicrosegDeadline/);
    expect(out.ms).toBeLessThan(4000);
  });
});
