import { cdk, javascript } from 'projen';

// microseg: network microsegmentation as code. One options object, a few explicit tweaks, synth last.
const project = new cdk.JsiiProject({
  name: 'microseg',
  description: 'Network microsegmentation as code: declare zones, workloads and allowed flows once; render AWS security groups and NACLs, Azure NSGs/ASGs, GCP firewall rules and Kubernetes NetworkPolicies; prove and audit them.',
  author: 'microseg maintainers',
  authorAddress: 'maintainers@microseg.dev',
  repositoryUrl: 'https://github.com/microseg/microseg.git',
  defaultReleaseBranch: 'main',
  keywords: ['microsegmentation', 'zero-trust', 'security-groups', 'nacl', 'nsg', 'firewall', 'cdk', 'cdktf', 'kubernetes', 'networkpolicy', 'cdk8s'],
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~5.9.0',
  minNodeVersion: '20.0.0',

  // Every cloud library is an optional peer: AWS users install `microseg aws-cdk-lib constructs`,
  // plain-Terraform users `microseg constructs`, CDKTF users add cdktf and the provider they render.
  peerDeps: [
    'aws-cdk-lib@^2.276.0',
    'constructs@^10.5.1',
    'cdktf@^0.21.0',
    '@cdktf/provider-azurerm@^14.23.1',
    '@cdktf/provider-google@^16.12.1',
    'cdk8s@^2.70.0',
  ],
  peerDependencyOptions: { pinnedDevDependency: true },
  // Non-jsii runtime helpers are bundled (jsii rule); none of them appears in the public API.
  bundledDeps: ['commander@^14.0.0', 'cli-table3@^0.6.5', 'ip-num@^1.6.2', 'cli-progress@^3.12.0', 'picocolors@^1.1.1'],
  devDeps: [
    'vitest@^4',
    'fast-check@^4',
    'cdk-nag@^3',
    'aws-cdk@2.1148.1',
    'cdktf-cli@0.21.0',
    'tsx@^4',
    '@types/sarif@^2.1.7',
    '@types/cli-progress@^3',
    '@aws-sdk/client-ec2@^3',
    '@azure/arm-network@~36',
    '@azure/identity@~4.13.0',
    '@google-cloud/compute@^6.14.0',
    '@kubernetes/client-node@^1.4.0',
    'cdk8s-cli@^2.200.0',
    'cdk8s-plus-33@^2.5.0',
    'yaml@^2',
    // DuckDB reads flow logs for `microseg traffic` only: like the cloud SDKs, not a jsii module, so
    // not a peer; src/traffic loads it lazily and names `npm i @duckdb/node-api` when it is missing.
    '@duckdb/node-api@1.5.6-r.1',
    // The map is laid out at generation time with elkjs (src/map loads it lazily and names
    // `npm i elkjs` when it is missing); its browser test drives Debian's Chromium through
    // playwright-core (no browser download: .ci/run installs the chromium package).
    'elkjs@^0.12.1',
    'playwright-core@^1.65.1',
    // Data-lake engines of `microseg traffic` (--engine athena|bigquery), loaded lazily like the
    // audit's SDKs; node-sql-parser checks the Trino and BigQuery renderings of the plan in tests.
    '@aws-sdk/client-athena@^3',
    '@google-cloud/bigquery@^8',
    'node-sql-parser@^5',
  ],

  // Publishing targets are configured; packaging (jsii-pacmak) stays out of the test command and CI.
  publishToPypi: { distName: 'microseg', module: 'microseg' },
  publishToMaven: { javaPackage: 'dev.microseg', mavenGroupId: 'dev.microseg', mavenArtifactId: 'microseg' },
  publishToNuget: { dotNetNamespace: 'Microseg', packageId: 'Microseg' },
  publishToGo: { moduleName: 'github.com/microseg/microseg-go' },

  // Tests run with vitest (projen has no vitest component: jest off, test task reset below).
  jest: false,
  eslint: false,
  github: false,
  release: false,
  docgen: true,
  // Flow-log fixtures and the traffic example's shipped logs are data, not logs of a run: keep them.
  gitignore: ['cdk.out', 'cdktf.out', 'bench/out', '.tmp', 'test/.work', 'examples/k8s/dist',
    '!/examples/traffic/logs/', '!/test/fixtures/flowlogs/**/*.log'],
  npmignoreEnabled: true,
  tsconfigDev: { compilerOptions: { skipLibCheck: true } },
});

project.package.addField('peerDependenciesMeta', {
  'aws-cdk-lib': { optional: true },
  'cdktf': { optional: true },
  '@cdktf/provider-azurerm': { optional: true },
  '@cdktf/provider-google': { optional: true },
  'cdk8s': { optional: true },
});
project.package.addBin({ microseg: 'bin/microseg' });
project.npmignore?.exclude('/examples/', '/bench/', '/test/', '/.ci/');
// What the tarball holds is an allow-list (test/packaging/packed-install.test.ts checks it): the
// compiled library, its jsii assembly, the TypeScript sources the inline source maps point at (so
// stack traces under `node --enable-source-maps` open real files), the CLI and the docs.
// The bundled dependencies are added by npm itself.
project.package.addField('files', ['lib/**/*.js', 'lib/**/*.d.ts', '.jsii', 'src/**/*.ts', 'bin/microseg', 'docs/*.md', 'API.md']);

// Compile: jsii, then make the cloud submodules load lazily (importing `microseg` loads no cloud library).
project.compileTask.exec('node scripts/lazy-index.js');

// Package: the JS tarball only (offline-safe, what npm publishes). The Java, Python, .NET and Go
// bindings need their toolchains and registries: `npx projen package-all` or `package:<lang>`.
const pkg = project.tasks.tryFind('package')!;
pkg.reset();
pkg.spawn(project.tasks.tryFind('package:js')!);

// Test: compile (tests include the packed install and the CLI), type-check the tests (vitest only
// strips types), then vitest. Snapshots are never updated by the normal run.
const test = project.tasks.tryFind('test')!;
test.reset();
test.spawn(project.compileTask);
test.exec('tsc -p test/tsconfig.json --noEmit');
test.exec('vitest run');
project.addTask('test:update-snapshots', { exec: 'vitest run -u' });
project.addTask('test:watch:vitest', { exec: 'vitest' });

// Main job: synthesize every example and print the segmentation summary.
project.addTask('examples', { exec: 'tsx scripts/run-examples.ts', receiveArgs: true });
project.addTask('bench', { exec: 'node --expose-gc --max-old-space-size=16384 ./node_modules/.bin/tsx bench/run.ts', receiveArgs: true });

project.synth();
