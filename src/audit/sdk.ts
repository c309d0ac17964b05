/**
 * Lazy loading of the cloud SDKs: a user who audits one cloud installs only that cloud's SDK,
 * and `microseg --help` loads none. A missing SDK is a `MicrosegError` with the exact install line.
 */
import { MicrosegError } from '../model/errors';

/** The install line for each optional SDK. */
export const SDK_INSTALL: Record<string, string> = {
  '@aws-sdk/client-ec2': 'npm i @aws-sdk/client-ec2',
  '@azure/arm-network': 'npm i @azure/arm-network @azure/identity',
  '@azure/identity': 'npm i @azure/arm-network @azure/identity',
  '@azure/core-rest-pipeline': 'npm i @azure/arm-network @azure/identity',
  '@google-cloud/compute': 'npm i @google-cloud/compute',
  'google-auth-library': 'npm i @google-cloud/compute',
  '@kubernetes/client-node': 'npm i @kubernetes/client-node@^1.4',
};

/** Test hook: module names to treat as not installed. */
const hidden = new Set<string>((process.env.MICROSEG_HIDE_SDKS ?? '').split(',').map(s => s.trim()).filter(Boolean));

/**
 * Loads an SDK with `require`, or throws `[microseg:MissingSdk]` naming the install line.
 * `deep` is a faster entry point inside the package (e.g. one client of a large SDK); when the
 * package layout changed it falls back to the package's main entry.
 */
export function loadSdk<T = any>(name: string, cloud: string, deep?: string): T {
  const install = SDK_INSTALL[name] ?? `npm i ${name}`;
  try {
    if (hidden.has(name)) throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
    if (deep) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(`${name}/${deep}`) as T;
      } catch {
        // fall back to the main entry
      }
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(name)) {
      throw new MicrosegError({
        code: 'MissingSdk', path: `audit/${cloud}`, value: name,
        message: `is needed to audit ${cloud} but is not installed.`,
        hint: `Install it next to microseg: ${install}`,
      });
    }
    throw e;
  }
}
