// What is true on a host now: one typed record, gathered in one round trip where possible.
import type { DbFlavour } from '../sizing/types.js';

export interface ManagedFileState {
  path: string;
  exists: boolean;
  content?: string;
  mode?: number;
  owner?: string;
  group?: string;
  sha256?: string;
}

export interface DeploymentRecord {
  deployId: string;
  time: string;
  profile: string;
  toolVersion: string;
  files: { path: string; sha256: string; backup: string | null }[];
}

export interface HostFacts {
  host: string;
  /** /etc/os-release: ID, VERSION_ID, PRETTY_NAME, VERSION_CODENAME (UBUNTU_CODENAME where only that is set). */
  os: { id: string; versionId: string; prettyName: string; codename?: string };
  /** The package manager stackscale can drive: `apt` where apt-get and dpkg-query exist. */
  packageManager?: 'apt';
  /** The roles' packages installed now (dpkg-query, in the facts round trip): name -> version. */
  packages?: Record<string, string>;
  hostname: string;
  memory: number; // bytes
  cores: number;
  somaxconn: number;
  initSystem: 'systemd' | 'sysv';
  php?: {
    version: string; // "8.2"
    poolDir: string;
    fpmBinary: string;
    service: string; // php8.2-fpm
    running: boolean;
    /** Largest (or P95) RSS of the running workers, bytes. */
    workerRss?: number;
  };
  db?: {
    flavour: DbFlavour;
    version: string; // "10.11.19" / "8.0.36"
    service: string; // mariadb / mysql
    serverBinary: string; // /usr/sbin/mariadbd
    running: boolean;
  };
  redis?: { version: string; service: string; running: boolean };
  /**
   * `database`: /var/lib/proxysql/proxysql.db exists, so a start reads it and ignores the cnf (absent when unknown).
   */
  proxysql?: { version: string; running: boolean; database?: boolean };
  nginx?: { running: boolean };
  files: Record<string, ManagedFileState>;
  lastDeployment?: DeploymentRecord;
}
