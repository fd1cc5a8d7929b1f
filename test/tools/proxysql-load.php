<?php
// Load for the ProxySQL pool test: N client connections to ProxySQL's client port, each running short queries
// (`SELECT SLEEP(0.01)`, every other connection `... FOR UPDATE` so that both hostgroups get traffic) for S seconds,
// all at once through mysqli's async queries in this one process. Bounded: N connections, S seconds, then it stops.
// Sends traffic only to the address given (a test host). The password is the first line of stdin.
//   php proxysql-load.php N SECONDS HOST PORT USER DATABASE
// Prints one JSON line: {"connected": n, "refused": n, "queries": n, "errors": n, "firstError": "..."}.
[$self, $n, $seconds, $host, $port, $user, $db] = $argv + array_fill(0, 7, null);
$n = (int)$n;
$seconds = (float)$seconds;
$password = rtrim((string)fgets(STDIN), "\r\n");
mysqli_report(MYSQLI_REPORT_OFF);

$links = [];
$refused = 0;
$firstError = null;
for ($i = 0; $i < $n; $i++) {
  $l = mysqli_init();
  $l->options(MYSQLI_OPT_CONNECT_TIMEOUT, 5);
  if (!@$l->real_connect($host, $user, $password, $db, (int)$port)) {
    $refused++;
    $firstError ??= mysqli_connect_error();
    continue;
  }
  $links[] = $l;
}
$sql = fn(int $i): string => $i % 2 ? 'SELECT SLEEP(0.01) FOR UPDATE' : 'SELECT SLEEP(0.01)';
$index = [];
foreach ($links as $i => $l) {
  $index[spl_object_id($l)] = $i;
  $l->query($sql($i), MYSQLI_ASYNC);
}
$queries = 0;
$errors = 0;
$end = microtime(true) + $seconds;
$pending = count($links);
while ($pending > 0) {
  $read = $error = $reject = $links;
  if (mysqli_poll($read, $error, $reject, 1) < 1) {
    if (microtime(true) > $end + 30) break; // a stuck query: give up, bounded
    continue;
  }
  foreach ($read as $l) {
    $res = $l->reap_async_query();
    if ($res === false) {
      $errors++;
      $firstError ??= $l->error;
    } else {
      $queries++;
      if ($res instanceof mysqli_result) $res->free();
    }
    if (microtime(true) < $end) {
      $l->query($sql($index[spl_object_id($l)]), MYSQLI_ASYNC);
    } else {
      $pending--;
      $links = array_values(array_filter($links, fn($x) => $x !== $l));
      $l->close();
    }
  }
}
echo json_encode(['connected' => count($index), 'refused' => $refused, 'queries' => $queries, 'errors' => $errors, 'firstError' => $firstError]), "\n";
