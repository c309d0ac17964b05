/**
 * The real published AWS samples (test/fixtures/flowlogs/aws, copied from the AWS VPC User Guide:
 * see SOURCE.md there) parse with the expected counts and conversations.
 */
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { TrafficAnalysis } from '../../src/traffic';

const AWS = path.join(__dirname, '..', 'fixtures', 'flowlogs', 'aws');
const read = (file: string) => TrafficAnalysis.discover({ logs: [path.join(AWS, file)] });
const flows = (fs: { from: string; to: string; protocol: string; ports: number[]; records: number }[]) => fs.map(f => [f.from, f.to, f.protocol, f.ports, f.records]);

describe('published AWS flow log samples', () => {
  it('v2 default format: accepted SSH, rejected RDP', async () => {
    const r = await read('v2-default-accept-reject.log');
    expect(r.records).toEqual({ read: 2, traffic: 2, skipped: 0, rejected: 1 });
    expect(flows(r.flows)).toEqual([['ipv4:172.31.16.139', 'ipv4:172.31.16.21', 'tcp', [22], 1]]);
    expect(flows(r.rejected)).toEqual([['ipv4:172.31.9.69', 'ipv4:172.31.9.12', 'tcp', [3389], 1]]);
    expect(r.unknown.map(u => u.address)).toEqual(['172.31.16.139', '172.31.16.21', '172.31.9.12', '172.31.9.69']);
  });

  it('v2 ICMP through a stateless NACL: the echo is accepted, the reply rejected', async () => {
    const r = await read('v2-default-icmp-nacl-stateless.log');
    expect(r.records).toEqual({ read: 2, traffic: 2, skipped: 0, rejected: 1 });
    expect(flows(r.flows)).toEqual([['ipv4:0.0.0.0/0', 'ipv4:172.31.16.139', 'icmp', [], 1]]);
    expect(flows(r.rejected)).toEqual([['ipv4:172.31.16.139', 'ipv4:0.0.0.0/0', 'icmp', [], 1]]);
  });

  it('v2 IPv6 SSH', async () => {
    const r = await read('v2-default-ipv6-ssh.log');
    expect(flows(r.flows)).toEqual([['ipv6:::/0', 'ipv6:::/0', 'tcp', [22], 1]]);
  });

  it('NODATA and SKIPDATA are counted, never traffic', async () => {
    const r = await read('v2-default-nodata-skipdata.log');
    expect(r.records).toEqual({ read: 2, traffic: 0, skipped: 2, rejected: 0 });
    expect(r.flows).toEqual([]);
  });

  it('v3 custom format with tcp-flags (and a doubled blank in one line): one server on 5001', async () => {
    const r = await read('v3-custom-tcp-flags.log');
    expect(r.records).toEqual({ read: 8, traffic: 8, skipped: 0, rejected: 0 });
    expect(flows(r.flows)).toEqual([['ipv4:0.0.0.0/0', 'ipv4:10.0.0.62', 'tcp', [5001], 8]]);
    expect(r.unknown).toEqual([{ address: '10.0.0.62', records: 8, peers: ['ipv4:0.0.0.0/0'] }]);
  });

  it('v3 through a transit gateway: pkt-srcaddr/pkt-dstaddr give one conversation to the web server', async () => {
    const r = await read('v3-custom-transit-gateway.log');
    expect(r.records).toEqual({ read: 4, traffic: 4, skipped: 0, rejected: 0 });
    expect(flows(r.flows)).toEqual([['ipv4:10.20.33.164', 'ipv4:10.40.2.236', 'tcp', [80], 4]]);
  });

  it('v5 with flow-direction and traffic-path: the instance is the client of S3 on 80', async () => {
    const r = await read('v5-custom-traffic-path-flow-direction.log');
    expect(r.records).toEqual({ read: 2, traffic: 2, skipped: 0, rejected: 0 });
    expect(flows(r.flows)).toEqual([['ipv4:10.0.0.71', 'ipv4:0.0.0.0/0', 'tcp', [80], 2]]);
  });

  it('formats without ports or protocol (the NAT gateway examples) are refused, not guessed', async () => {
    for (const f of ['v3-custom-nat-gateway.log', 'v3-custom-nat-instance-eni.log']) {
      await expect(read(f)).rejects.toThrow(/microseg:FlowLogUnreadable.*lacks the fields srcport, dstport, protocol/);
    }
  });

  it('all samples of one folder at once (files grouped by field list)', async () => {
    const r = await TrafficAnalysis.discover({ logs: [path.join(AWS, 'v2-default-accept-reject.log'), path.join(AWS, 'v3-custom-tcp-flags.log'), path.join(AWS, 'v5-custom-traffic-path-flow-direction.log'), path.join(AWS, 'v2-default-nodata-skipdata.log')] });
    expect(r.records).toEqual({ read: 14, traffic: 12, skipped: 2, rejected: 1 });
    expect(r.flows).toHaveLength(3);
  });
});
