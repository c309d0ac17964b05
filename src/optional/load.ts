/**
 * Optional packages loaded on first use: the cloud SDKs (audit, `traffic --live`, the lake
 * engines), DuckDB and elkjs. A user installs only what the command needs, `microseg --help` loads
 * none of them, and a missing one is a `MicrosegError` (`MissingSdk` or `MissingDependency`)
 * naming the exact `npm i` line instead of a bare "Cannot find module".
 *
 * This module imports nothing of ours but the error type, so every part of microseg (audit,
 * traffic, map) may use it without depending on another.
 *
 * @internal (not exported from any submodule index)
 */
import { MicrosegError } from '../model/errors';

/** The install line of each cloud SDK (one line serves the audit and `traffic --live`). */
export const SDK_INSTALL: Record<string, string> = {
  '@aws-sdk/client-ec2': 'npm i @aws-sdk/client-ec2',
  '@azure/arm-network': 'npm i @azure/arm-network @azure/identity',
  '@azure/identity': 'npm i @azure/arm-network @azure/identity',
  '@azure/core-rest-pipeline': 'npm i @azure/arm-network @azure/identity',
  '@google-cloud/compute': 'npm i @google-cloud/compute',
  'google-auth-library': 'npm i @google-cloud/compute',
  '@kubernetes/client-node': 'npm i @kubernetes/client-node@^1.4',
};

/** What a missing package is reported as. */
export interface MissingPackage {
  /** `MissingSdk` (a cloud SDK) or `MissingDependency` (any other optional package). */
  readonly code: 'MissingSdk' | 'MissingDependency';
  /** Where it was needed (e.g. `audit/aws`, `traffic`, `map`). */
  readonly path: string;
  /** Why it is needed, e.g. `is needed to audit aws but is not installed.` */
  readonly message: string;
  /** The install line, e.g. `npm i elkjs`. */
  readonly install: string;
}

/** Test hook: package names to treat as not installed (comma-separated `MICROSEG_HIDE_SDKS`, read on each call). */
function hidden(name: string): boolean {
  return (process.env.MICROSEG_HIDE_SDKS ?? '').split(',').map(s => s.trim()).includes(name);
}

/**
 * `require(name)`, or the coded error of `missing` when the package is not installed. `deep` is
 * a faster entry point inside the package (e.g. one client of a large SDK, or a bundled build);
 * when the package layout changed it falls back to the package's main entry.
 */
export function loadOptional<T = any>(name: string, missing: MissingPackage, deep?: string): T {
  try {
    if (hidden(name)) throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
    if (deep) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(`${name}/${deep}`) as T;
      } catch {
        // the package layout changed: its main entry
      }
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(name)) {
      throw new MicrosegError({
        code: missing.code, path: missing.path, value: name,
        message: missing.message,
        hint: `Install it next to microseg: ${missing.install}`,
      });
    }
    throw e;
  }
}

/** The install line of a cloud SDK (`npm i <name>` when it has no entry of its own). */
export const sdkInstall = (name: string): string => SDK_INSTALL[name] ?? `npm i ${name}`;
