/** Futex semaphore models, scenarios and explorer (pure; see FUTEX-SEMAPHORES.md). */
export * from './types';
export * from './machine';
export * from './scenarios';
export * from './explore';
export * from './layout';
export * from './live';
export * from './pseudocode';
export * from './versions';
