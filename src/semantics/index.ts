/**
 * The semantic layer: cloud rules in canonical form (a backend's rendered plan, or the live rules
 * an audit read) and one evaluator per cloud answering "does this packet pass?". Between `ir`
 * and the backends, audit, analysis and traffic; imports only `model` and `ir`. Not part of the
 * jsii API (packets carry `bigint` addresses).
 */
export * from './rules';
export * from './aws';
export * from './azure';
export * from './gcp';
export * from './kubernetes';
export * from './deployment';
