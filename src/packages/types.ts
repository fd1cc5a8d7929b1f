// Shapes the packages module shares with the plan and the apply engine.

/** Packages a host lacks for its roles, and where each comes from (src/packages). */
export interface InstallAction {
  packages: { name: string; role: string; source: string }[];
  /** Third-party repositories added first, each with the fingerprint of the key it is signed with. */
  repositories: {
    name: string;
    url: string;
    suite: string;
    keyFrom: string;
    /** 40 hex digits; '' when the key could not be read or downloaded (`keyError` says why; apply refuses). */
    keyFingerprint: string;
    trust: 'pinned' | 'recorded' | 'new' | 'unavailable';
    keyError?: string;
  }[];
  /** Services enabled at boot (and started once configured). */
  services: string[];
}

export interface StepRecordLike {
  step: string;
  ok: boolean;
  detail?: string;
}
