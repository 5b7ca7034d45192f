// Task queue names. The API starts workflows on them and the worker polls them.
export const TASK_QUEUES = {
  /** Tenant lifecycle and every other control-plane operation, for now. */
  controlPlane: 'atrium-control-plane',
} as const;
