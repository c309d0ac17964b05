/**
 * Loading of the optional Terraform dependencies (cdktf, the provider bindings) on first use. A
 * missing package is a `MicrosegError` (`microseg:MissingDependency`) with the exact `npm i`
 * line, not a bare "Cannot find module" with a require stack.
 *
 * @internal (not exported from any submodule index)
 */
import { MicrosegError } from '../model/errors';

/** The install line of each optional package of the Terraform backends. */
export const TERRAFORM_INSTALL: Record<string, string> = {
  'cdktf': 'npm i cdktf@^0.21 constructs',
  '@cdktf/provider-azurerm': 'npm i @cdktf/provider-azurerm@^14 cdktf@^0.21',
  '@cdktf/provider-google': 'npm i @cdktf/provider-google@^16 cdktf@^0.21',
};

/** The package name of a module specifier (`@scope/name/deep/path` -> `@scope/name`). */
function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Test hook: packages to treat as not installed (comma-separated). */
function hidden(): Set<string> {
  return new Set((process.env.MICROSEG_HIDE_DEPENDENCIES ?? '').split(',').map(s => s.trim()).filter(Boolean));
}

/**
 * `require(spec)`, or a `microseg:MissingDependency` error naming the install line when the
 * package is not installed. `what` says who needs it (e.g. `GcpSegmentation`); `path` is the
 * construct path of the user's construct.
 */
export function requireDependency<T = any>(spec: string, what: string, path: string): T {
  const pkg = packageOf(spec);
  try {
    if (hidden().has(pkg)) throw Object.assign(new Error(`Cannot find module '${spec}'`), { code: 'MODULE_NOT_FOUND' });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(spec) as T;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`'${pkg}`)) {
      throw new MicrosegError({
        code: 'MissingDependency', path, value: pkg,
        message: `is needed by ${what} but is not installed.`,
        hint: `Install it next to microseg: ${TERRAFORM_INSTALL[pkg] ?? `npm i ${pkg}`}`,
      });
    }
    throw e;
  }
}
