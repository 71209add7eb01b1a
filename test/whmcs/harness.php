<?php
/**
 * A stand-in for WHMCS, enough to run the Hosting Rewards addon outside a panel: `add_hook`,
 * `localAPI`, `logActivity`, `WHMCS\Database\Capsule` (an in-memory query builder and schema
 * over JSON tables) and the navbar's menu item. Driven by test/integration/whmcs-addon.test.ts:
 *
 *   php harness.php <input.json>
 *
 * Input: { "state": { "tables": {…}, "api": { "invoices": {…}, "clients": {…}, "shape": "nested"|"flattened" } },
 *          "session": {…}, "config": {…}, "answers": { "<event id prefix>": <HTTP status> }, "steps": [ { "hook": "InvoicePaid", "vars": {…} } | { "call": "activate"|… } ] }
 * Output (stdout, JSON): { "state", "activity": [..], "sent": [ {url, headers, body, status, answer} ], "results": [..] }
 */

namespace WHMCS\Database {
    final class Capsule
    {
        /** @var array<string, list<array>> */
        public static array $tables = [];
        /** @var array<string, array{unique: list<string>}> */
        public static array $schemas = [];

        public static function table(string $name): \HarnessQuery
        {
            return new \HarnessQuery($name);
        }

        public static function schema(): \HarnessSchema
        {
            return new \HarnessSchema();
        }
    }
}

namespace {
    define('WHMCS', true);
    define('HOSTING_REWARDS_NO_EXIT', true);

    use WHMCS\Database\Capsule;

    final class HarnessQuery
    {
        private array $wheres = [];
        private array $orders = [];
        private ?int $limit = null;

        public function __construct(private string $table)
        {
            if (!array_key_exists($table, Capsule::$tables)) {
                Capsule::$tables[$table] = [];
            }
        }

        public function where(string $column, mixed $op, mixed $value = null): self
        {
            if (func_num_args() === 2) {
                [$op, $value] = ['=', $op];
            }
            $this->wheres[] = [$column, $op, $value];
            return $this;
        }

        public function orderBy(string $column, string $dir = 'asc'): self
        {
            $this->orders[] = [$column, strtolower($dir)];
            return $this;
        }

        public function limit(int $n): self
        {
            $this->limit = $n;
            return $this;
        }

        public function get(): array
        {
            return array_map(static fn ($r) => (object) $r, array_values(array_map(fn ($i) => Capsule::$tables[$this->table][$i], $this->matching())));
        }

        public function first(): ?object
        {
            $this->limit = 1;
            return $this->get()[0] ?? null;
        }

        public function value(string $column): mixed
        {
            $row = $this->first();
            return $row === null ? null : ($row->{$column} ?? null);
        }

        public function exists(): bool
        {
            return $this->matching() !== [];
        }

        public function count(): int
        {
            return count($this->matching());
        }

        public function insert(array $row): bool
        {
            $unique = Capsule::$schemas[$this->table]['unique'] ?? [];
            foreach (Capsule::$tables[$this->table] as $existing) {
                foreach ($unique as $col) {
                    if (isset($row[$col]) && (string) ($existing[$col] ?? '') === (string) $row[$col]) {
                        throw new \RuntimeException("Duplicate entry '{$row[$col]}' for key '{$col}'");
                    }
                }
            }
            if (!isset($row['id'])) {
                $ids = array_map(static fn ($r) => (int) ($r['id'] ?? 0), Capsule::$tables[$this->table]);
                $row = ['id' => ($ids === [] ? 0 : max($ids)) + 1] + $row;
            }
            Capsule::$tables[$this->table][] = $row;
            return true;
        }

        public function update(array $values): int
        {
            $n = 0;
            foreach ($this->matching() as $i) {
                Capsule::$tables[$this->table][$i] = $values + Capsule::$tables[$this->table][$i];
                $n++;
            }
            return $n;
        }

        public function delete(): int
        {
            $hit = $this->matching();
            foreach ($hit as $i) {
                unset(Capsule::$tables[$this->table][$i]);
            }
            Capsule::$tables[$this->table] = array_values(Capsule::$tables[$this->table]);
            return count($hit);
        }

        /** @return list<int> indexes of matching rows, ordered and limited */
        private function matching(): array
        {
            $rows = Capsule::$tables[$this->table];
            $hit = [];
            foreach ($rows as $i => $row) {
                foreach ($this->wheres as [$col, $op, $val]) {
                    if (!self::compare($row[$col] ?? null, $op, $val)) {
                        continue 2;
                    }
                }
                $hit[] = $i;
            }
            foreach (array_reverse($this->orders) as [$col, $dir]) {
                usort($hit, static function ($a, $b) use ($rows, $col, $dir) {
                    $c = self::cmp($rows[$a][$col] ?? null, $rows[$b][$col] ?? null);
                    return $dir === 'desc' ? -$c : $c;
                });
            }
            return $this->limit === null ? $hit : array_slice($hit, 0, $this->limit);
        }

        private static function cmp(mixed $a, mixed $b): int
        {
            if (is_numeric($a) && is_numeric($b)) {
                return $a <=> $b;
            }
            return strcmp((string) $a, (string) $b);
        }

        private static function compare(mixed $a, string $op, mixed $b): bool
        {
            if ($a === null && $op !== '<>' && $op !== '=') {
                return false;
            }
            $c = self::cmp($a, $b);
            return match ($op) {
                '=' => $a !== null && $c === 0,
                '<>', '!=' => $c !== 0,
                '<' => $c < 0,
                '<=' => $c <= 0,
                '>' => $c > 0,
                '>=' => $c >= 0,
                default => throw new \InvalidArgumentException("operator {$op}"),
            };
        }
    }

    final class HarnessBlueprint
    {
        public array $columns = [];
        public array $unique = [];
        private ?string $last = null;

        public function __call(string $method, array $args): self
        {
            if (in_array($method, ['unique'], true) && $this->last !== null) {
                $this->unique[] = $this->last;
                return $this;
            }
            if (in_array($method, ['nullable', 'default', 'index', 'unsigned'], true)) {
                return $this;
            }
            $this->last = (string) ($args[0] ?? '');
            $this->columns[$this->last] = $method;
            return $this;
        }
    }

    final class HarnessSchema
    {
        public function hasTable(string $name): bool
        {
            return isset(Capsule::$schemas[$name]);
        }

        public function create(string $name, callable $define): void
        {
            if ($this->hasTable($name)) {
                throw new \RuntimeException("Table {$name} already exists");
            }
            $bp = new HarnessBlueprint();
            $define($bp);
            Capsule::$schemas[$name] = ['unique' => $bp->unique, 'columns' => $bp->columns];
            Capsule::$tables[$name] = [];
        }

        public function dropIfExists(string $name): void
        {
            unset(Capsule::$schemas[$name], Capsule::$tables[$name]);
        }
    }

    /** The client area's top menu, as far as the navbar hook uses it. */
    final class HarnessMenuItem
    {
        public array $children = [];

        public function addChild(string $name, array $attrs = []): self
        {
            $this->children[$name] = $attrs;
            return $this;
        }

        public function getChild(string $name): ?array
        {
            return $this->children[$name] ?? null;
        }
    }

    $HARNESS = ['hooks' => [], 'activity' => [], 'api' => [], 'api_calls' => []];

    function add_hook(string $name, int $priority, callable $fn): void
    {
        $GLOBALS['HARNESS']['hooks'][$name][] = $fn;
    }

    function run_hook(string $name, mixed $vars): array
    {
        $out = [];
        foreach ($GLOBALS['HARNESS']['hooks'][$name] ?? [] as $fn) {
            $out[] = $fn($vars);
        }
        return $out;
    }

    function logActivity(string $message): void
    {
        $GLOBALS['HARNESS']['activity'][] = $message;
    }

    /** WHMCS's internal API over the fixture: GetInvoice and GetClientsDetails. */
    function localAPI(string $command, array $params, string $admin = ''): array
    {
        $api = $GLOBALS['HARNESS']['api'];
        $GLOBALS['HARNESS']['api_calls'][] = [$command, $params];
        switch ($command) {
            case 'GetInvoice':
                $inv = $api['invoices'][(string) $params['invoiceid']] ?? null;
                if ($inv === null) {
                    return ['result' => 'error', 'message' => 'Invoice ID Not Found'];
                }
                $items = $inv['items'] ?? [];
                // WHMCS nests lists under a singular key; one item may come as an object.
                $inv['items'] = $items === [] ? '' : ['item' => (($api['shape'] ?? 'nested') === 'flattened' && count($items) === 1) ? $items[0] : $items];
                return ['result' => 'success', 'invoiceid' => (int) $params['invoiceid']] + $inv;
            case 'GetClientsDetails':
                $c = $api['clients'][(string) $params['clientid']] ?? null;
                if ($c === null) {
                    return ['result' => 'error', 'message' => 'Client Not Found'];
                }
                return ($api['shape'] ?? 'nested') === 'flattened'
                    ? ['result' => 'success', 'userid' => (int) $params['clientid']] + $c
                    : ['result' => 'success', 'userid' => (int) $params['clientid'], 'client' => $c];
            default:
                return ['result' => 'error', 'message' => "Harness has no {$command}"];
        }
    }

    $input = json_decode((string) file_get_contents($argv[1]), true, 512, JSON_THROW_ON_ERROR);
    Capsule::$tables = $input['state']['tables'] ?? [];
    Capsule::$schemas = $input['state']['schemas'] ?? [];
    $HARNESS['api'] = $input['state']['api'] ?? [];
    $_SESSION = $input['session'] ?? [];
    $_GET = [];
    $CONFIG = $input['config'] ?? [];
    date_default_timezone_set($input['timezone'] ?? 'UTC');

    $addon = $input['addon'];
    require $addon . '/hosting_rewards.php';
    require $addon . '/hooks.php';

    $sent = [];
    // `answers`: event id prefix => HTTP status the "plugin" answers instead of the real one (not sent).
    $answers = $input['answers'] ?? [];
    \HostingRewards\Spool::$defaultTransport = static function (string $url, array $headers, string $body, int $timeout) use (&$sent, $answers): array {
        $r = null;
        foreach ($answers as $prefix => $status) {
            if (str_starts_with((string) ($headers['webhook-id'] ?? ''), (string) $prefix)) {
                $r = [(int) $status, '{"error":"answered by the harness"}', ''];
                break;
            }
        }
        $r ??= \HostingRewards\Spool::curlPost($url, $headers, $body, $timeout);
        $sent[] = ['url' => $url, 'headers' => $headers, 'body' => $body, 'status' => $r[0], 'answer' => $r[1], 'error' => $r[2]];
        return $r;
    };

    $results = [];
    foreach ($input['steps'] as $step) {
        if (isset($step['set'])) {
            // Changes between steps: a tables row, a setting, the API fixture.
            foreach ($step['set']['settings'] ?? [] as $k => $v) {
                Capsule::table('tbladdonmodules')->where('module', 'hosting_rewards')->where('setting', $k)->delete();
                Capsule::table('tbladdonmodules')->insert(['module' => 'hosting_rewards', 'setting' => $k, 'value' => $v]);
            }
            $results[] = null;
            continue;
        }
        if (isset($step['hook'])) {
            $vars = $step['vars'] ?? [];
            if ($step['hook'] === 'ClientAreaPrimaryNavbar') {
                $menu = new HarnessMenuItem();
                run_hook('ClientAreaPrimaryNavbar', $menu);
                $results[] = $menu->children;
                continue;
            }
            run_hook($step['hook'], $vars);
            $results[] = null;
            continue;
        }
        $_GET = $step['get'] ?? [];
        $GLOBALS['hosting_rewards_redirected'] = null;
        $vars = ($step['vars'] ?? []) + array_column(array_filter(Capsule::$tables['tbladdonmodules'] ?? [], static fn ($r) => $r['module'] === 'hosting_rewards'), 'value', 'setting');
        switch ($step['call']) {
            case 'config':
                $results[] = hosting_rewards_config();
                break;
            case 'activate':
                $results[] = hosting_rewards_activate();
                break;
            case 'deactivate':
                $results[] = hosting_rewards_deactivate();
                break;
            case 'clientarea':
                $page = hosting_rewards_clientarea($vars);
                $results[] = ['page' => $page, 'redirect' => $GLOBALS['hosting_rewards_redirected']];
                break;
            case 'output':
                ob_start();
                hosting_rewards_output($vars);
                $results[] = ['html' => ob_get_clean()];
                break;
            default:
                throw new \InvalidArgumentException('unknown call ' . $step['call']);
        }
    }

    echo json_encode([
        'state' => ['tables' => Capsule::$tables, 'schemas' => Capsule::$schemas, 'api' => $HARNESS['api']],
        'activity' => $HARNESS['activity'],
        'sent' => $sent,
        'results' => $results,
        'api_calls' => $HARNESS['api_calls'],
    ], JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
}
