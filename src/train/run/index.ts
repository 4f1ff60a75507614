// Training-run infrastructure shared by the trainers: atomic checkpoints and resume, the metrics log,
// the progress line and validated run configs.

export { CHECKPOINTS_FOLDER, checkpointName, checkpointStates, latestCheckpoint, loadCheckpoint, OPTIMIZER_FILE, saveCheckpoint, TRAINER_STATE_FILE } from './checkpoint.js';
export type { CheckpointParts, SaveCheckpointOptions, SavePhase, TrainState } from './checkpoint.js';
export { RunConfigError, loadRunConfig } from './config.js';
export { MetricsLog } from './metrics.js';
export type { MetricsLogOptions } from './metrics.js';
export { formatDuration, formatMetric, Progress } from './progress.js';
export type { ProgressOptions } from './progress.js';
