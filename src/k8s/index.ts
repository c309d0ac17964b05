export * from './props';
export * from './segmentation';
export * from './manifests';
