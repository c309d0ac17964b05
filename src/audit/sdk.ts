/**
 * Lazy loading of the cloud SDKs: a user who audits one cloud installs only that cloud's SDK,
 * and `microseg --help` loads none. A missing SDK is a `MicrosegError` with the exact install line
 * (the loader is shared with `traffic --live`: src/optional/load.ts).
 */
import { loadOptional, sdkInstall, SDK_INSTALL } from '../optional/load';

export { SDK_INSTALL };

/**
 * Loads an SDK with `require`, or throws `[microseg:MissingSdk]` naming the install line.
 * `deep` is a faster entry point inside the package (e.g. one client of a large SDK); when the
 * package layout changed it falls back to the package's main entry.
 */
export function loadSdk<T = any>(name: string, cloud: string, deep?: string): T {
  return loadOptional<T>(name, {
    code: 'MissingSdk', path: `audit/${cloud}`,
    message: `is needed to audit ${cloud} but is not installed.`,
    install: sdkInstall(name),
  }, deep);
}
