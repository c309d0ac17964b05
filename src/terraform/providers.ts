/**
 * The Terraform providers the backends are written and tested against (the provider bindings in
 * the dev dependencies, `@cdktf/provider-azurerm` 14 = azurerm 4.x and `@cdktf/provider-google`
 * 16 = google 6.x). Emitted as `required_providers`, so `terraform init` never picks a future
 * major version whose schema the rendered resources were not checked against.
 * test/terraform/required-providers.test.ts keeps these in step with the bindings.
 *
 * @internal (not exported from any submodule index)
 */
import type { TfProviderRequirement } from './util';

/** azurerm 4.x (`@cdktf/provider-azurerm` 14.x is generated from azurerm 4.55). */
export const AZURERM_PROVIDER: TfProviderRequirement = { name: 'azurerm', source: 'hashicorp/azurerm', version: '~> 4.0' };

/** google 6.x (`@cdktf/provider-google` 16.x is generated from google 6.50). */
export const GOOGLE_PROVIDER: TfProviderRequirement = { name: 'google', source: 'hashicorp/google', version: '~> 6.0' };
