export * from './props';
export * from './warnings';
export * from './segmentation';
