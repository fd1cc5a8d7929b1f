// A step of SQL a plan shows and apply runs: the shape replication, ProxySQL's admin tables and the EXPLAIN account
// all produce, and plan and apply carry. Its own module (below all of them) so none imports the others for it.

export interface SqlStep {
  /**
   * Where the statements go: the MySQL server or ProxySQL's admin interface; `mysql-explain-account` is the
   * read-only EXPLAIN account, whose password is made on the host (statements shown, run by a host-side script).
   */
  target: 'mysql' | 'proxysql-admin' | 'mysql-explain-account';
  purpose: string;
  /** Statements with secret values masked. */
  statements: string[];
  /** Apply only (never in a printed plan): statements that put back what `statements` changed, run on a rollback. */
  undo?: string[];
}
