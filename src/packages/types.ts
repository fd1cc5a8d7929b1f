// Shapes the packages module shares with the plan and the apply engine.
export type { InstallAction } from '../plan/types.js';

export interface StepRecordLike {
  step: string;
  ok: boolean;
  detail?: string;
}
