export * from './endpoint';
export * from './port';
export * from './peer';
export * from './selector';
export * from './segmentation';
export * from './zone';
export * from './workload';
export * from './flow';
