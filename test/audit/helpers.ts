/** Shared helpers of the audit tests. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Manifest, serializeManifest } from '../../src/ir/manifest';

/** A fresh temporary folder (removed by the OS; tests keep their files apart). */
export function tmpDir(prefix = 'microseg-audit-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes a manifest into a temporary folder and returns the file. */
export function writeManifestFile(m: Manifest, dir = tmpDir()): string {
  const file = path.join(dir, `${m.segmentation.name}.microseg.json`);
  fs.writeFileSync(file, serializeManifest(m));
  return file;
}

/** Sets fake AWS credentials (the SDK's standard chain reads them) and no IMDS. */
export function fakeAwsEnv(endpoint: string): void {
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_ENDPOINT_URL_EC2 = endpoint;
  delete process.env.AWS_PROFILE;
}

/** A static Azure token credential (tests). */
export const azureTestCredential = { getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3600_000 }) };
