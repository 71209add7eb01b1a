<?php

namespace HostingRewards;

use WHMCS\Database\Capsule;

/**
 * Sends events to the plugin without ever holding up or breaking the panel: a short timeout,
 * failures logged to the activity log, and a local spool (mod_hosting_rewards_spool) that
 * AfterCronJob flushes in order. Every event is written to the spool before it is sent, so
 * even a PHP fatal error in the middle leaves it to the cron.
 *
 * An event id seen before is sent with the body first stored for it: a hook WHMCS fires again
 * repeats the same delivery (the plugin answers "duplicate"), never a conflicting one.
 */
final class Spool
{
    public const TABLE = 'mod_hosting_rewards_spool';
    /** Sent rows are kept this long: they answer re-fired hooks and find a paid cycle to reverse. */
    private const KEEP_SENT_DAYS = 400;
    /** After this long without success an event is marked failed (and logged). */
    private const GIVE_UP_DAYS = 14;

    /**
     * The plugin didn't answer (down, or hanging until the timeout) earlier in this PHP request:
     * the rest wait in the spool for the cron, so a mass payment or a cron run doesn't wait a
     * timeout per event.
     */
    private static bool $unreachable = false;

    /**
     * How deliveries are POSTed when no transport is given: curl. A test harness (or a host
     * that must go through a proxy) may replace it.
     *
     * @var (callable(string, array<string,string>, string, int): array{0:int,1:string,2:string})|null
     */
    public static $defaultTransport = null;

    /** @var callable(string, array<string,string>, string, int): array{0:int,1:string,2:string} */
    private $transport;

    public function __construct(private Settings $settings, ?callable $transport = null)
    {
        $this->transport = $transport ?? self::$defaultTransport ?? [self::class, 'curlPost'];
    }

    /** Creates the table (idempotent): `_activate`. */
    public static function createTable(): void
    {
        $schema = Capsule::schema();
        if ($schema->hasTable(self::TABLE)) {
            return;
        }
        $schema->create(self::TABLE, function ($table) {
            $table->increments('id');
            $table->string('event_id', 128)->unique();
            $table->string('event_type', 40);
            $table->string('object_ref', 64)->index();
            $table->string('discriminator', 64)->default('');
            $table->mediumText('body');
            $table->string('state', 10)->default('pending')->index();
            $table->unsignedInteger('attempts')->default(0);
            $table->dateTime('next_attempt_at')->nullable();
            $table->string('last_error', 500)->default('');
            $table->dateTime('created_at')->nullable();
            $table->dateTime('sent_at')->nullable();
        });
    }

    public static function dropTable(): void
    {
        Capsule::schema()->dropIfExists(self::TABLE);
    }

    /**
     * The events still waiting to reach the plugin (`pending`), as deactivation drops them:
     * their ids, oldest first, and the UTC day of the earliest of them (its `occurred_at`, a
     * payment's paid date; the day it was spooled when that can't be read), from which the
     * plugin's backfill can bring payments and refunds in again.
     *
     * @return array{count:int, ids:list<string>, since:?string}
     */
    public static function undelivered(): array
    {
        if (!Capsule::schema()->hasTable(self::TABLE)) {
            return ['count' => 0, 'ids' => [], 'since' => null];
        }
        $ids = [];
        $earliest = null;
        foreach (Capsule::table(self::TABLE)->where('state', 'pending')->orderBy('id')->get() as $row) {
            $ids[] = (string) $row->event_id;
            $event = json_decode((string) $row->body, true);
            $at = is_array($event) && is_string($event['occurred_at'] ?? null) ? strtotime($event['occurred_at']) : false;
            if ($at === false) {
                // Spooled in the server's time zone: a day earlier covers any offset.
                $at = (strtotime((string) $row->created_at) ?: time()) - 86400;
            }
            $earliest = $earliest === null ? $at : min($earliest, $at);
        }
        return ['count' => count($ids), 'ids' => $ids, 'since' => $earliest === null ? null : gmdate('Y-m-d', $earliest)];
    }

    /** Spools and sends one built event (`[event, objectRef, discriminator]`). */
    public function deliver(array $built): void
    {
        [$event, $objectRef, $discriminator] = $built;
        $id = (string) $event['id'];
        $row = Capsule::table(self::TABLE)->where('event_id', $id)->first();
        if ($row === null) {
            $now = self::dbNow();
            try {
                Capsule::table(self::TABLE)->insert([
                    'event_id' => $id,
                    'event_type' => (string) $event['type'],
                    'object_ref' => substr($objectRef, 0, 64),
                    'discriminator' => substr($discriminator, 0, 64),
                    'body' => json_encode($event, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR),
                    'state' => 'pending',
                    'attempts' => 0,
                    'next_attempt_at' => $now,
                    'last_error' => '',
                    'created_at' => $now,
                    'sent_at' => null,
                ]);
            } catch (\Throwable $e) {
                // The same hook ran at the same moment in another request: its row is the one.
                if (Capsule::table(self::TABLE)->where('event_id', $id)->first() === null) {
                    throw $e;
                }
            }
            $row = Capsule::table(self::TABLE)->where('event_id', $id)->first();
            if ($row === null) {
                return;
            }
        }
        // The plugin didn't answer earlier in this request: don't make the panel wait for it again.
        if (self::$unreachable) {
            return;
        }
        // An older event of the same object still waits: keep the order (paid before refunded), let the cron send both.
        $waiting = Capsule::table(self::TABLE)->where('object_ref', $row->object_ref)->where('state', 'pending')->where('id', '<', $row->id)->exists();
        if ($waiting) {
            return;
        }
        $this->attempt($row);
    }

    /**
     * Sends the spool, oldest first (AfterCronJob). The oldest pending event is tried whatever
     * its backoff says: it tells whether the plugin is back. While the plugin takes each one,
     * every later event is sent in this run too, backoff or not, so an outage ends with one cron
     * run, not an hour of backoffs running out. From the first event that fails again (down,
     * 5xx, 401) on, the rest go back to their own backoff: only those due are tried, and a plugin
     * that doesn't answer at all stops the run (`$unreachable`). An event the plugin refuses for
     * good (400, 409, 413, 422) is an answer, not an outage: it is marked failed and the run goes
     * on. An object whose event fails keeps its later events for the next run, so they still
     * arrive in order.
     *
     * @return array{sent:int, failed:int, waiting:int}
     */
    public function flush(int $limit = 200): array
    {
        $result = ['sent' => 0, 'failed' => 0, 'waiting' => 0];
        $blocked = [];
        $now = self::dbNow();
        $early = true; // send before the backoff is over, until an attempt fails again
        $rows = Capsule::table(self::TABLE)->where('state', 'pending')->orderBy('id')->limit($limit)->get();
        foreach ($rows as $row) {
            $due = $row->next_attempt_at === null || (string) $row->next_attempt_at <= $now;
            if (self::$unreachable || isset($blocked[$row->object_ref]) || (!$due && !$early)) {
                $blocked[$row->object_ref] = true;
                $result['waiting']++;
                continue;
            }
            $outcome = $this->attempt($row);
            if ($outcome !== 'sent') {
                $blocked[$row->object_ref] = true;
            }
            if ($outcome === 'retry') {
                $early = false;
            }
            $result[$outcome === 'sent' ? 'sent' : ($outcome === 'failed' ? 'failed' : 'waiting')]++;
        }
        $this->prune();
        return $result;
    }

    /**
     * Drops sent rows past KEEP_SENT_DAYS, except a service's latest status change: it carries
     * the count `statusChange` goes on from. That row becomes `kept` (no longer a candidate
     * here), and an older kept row of the same service goes, so each service keeps at most one.
     */
    private function prune(): void
    {
        $cutoff = date('Y-m-d H:i:s', time() - self::KEEP_SENT_DAYS * 86400);
        foreach (Capsule::table(self::TABLE)->where('state', 'sent')->where('sent_at', '<', $cutoff)->orderBy('id')->limit(1000)->get() as $row) {
            $change = self::statusChangeOf($row);
            if ($change === null || self::latestStatusChange((string) $row->object_ref)['id'] !== (int) $row->id) {
                Capsule::table(self::TABLE)->where('id', $row->id)->delete();
                continue;
            }
            Capsule::table(self::TABLE)->where('object_ref', $row->object_ref)->where('state', 'kept')->where('id', '<', $row->id)->delete();
            Capsule::table(self::TABLE)->where('id', $row->id)->update(['state' => 'kept']);
        }
    }

    /**
     * The discriminator of a module status change of a service (suspend, unsuspend, terminate):
     * `<n>-<first seen>`, n counting the service's status changes this spool has seen and the
     * UTC second the change was first seen (`20261207T011500Z`). WHMCS firing the hook again for
     * the same change (the service's latest recorded change is already this verb: suspending a
     * suspended service) gets the discriminator it got the first time, so the same event id,
     * which the plugin answers as a duplicate; a change after another one (a suspend after an
     * unsuspend) gets the next n, so a new id. The time keeps ids apart should the count start
     * again (the spool table is dropped on deactivation). Neither the hook's vars nor tblhosting
     * say when a status changed, which is why the count is kept here.
     */
    public static function statusChange(int $serviceId, string $verb): string
    {
        $latest = self::latestStatusChange("service:{$serviceId}");
        if ($latest !== null && $latest['verb'] === $verb) {
            return $latest['discriminator'];
        }
        return (($latest['n'] ?? 0) + 1) . '-' . gmdate('Ymd\THis\Z');
    }

    /**
     * The discriminator of an update of an object (`client:42`) whose data hashes to `$hash`:
     * the latest update's again when that had the same data (a hook fired twice, a duplicate),
     * else `<n>-<UTC second>-<hash>` with n one past the updates this spool has seen, so going
     * back to an earlier state (active, inactive, active) is a new event, not an old one's duplicate.
     */
    public static function updateDiscriminator(string $objectRef, string $eventType, string $hash): string
    {
        $latest = null;
        $seen = 0;
        foreach (Capsule::table(self::TABLE)->where('object_ref', $objectRef)->where('event_type', $eventType)->orderBy('id', 'desc')->get() as $row) {
            $latest ??= (string) $row->discriminator;
            $seen++;
        }
        if ($latest !== null && ($latest === $hash || str_ends_with($latest, "-{$hash}"))) {
            return $latest;
        }
        // The time keeps ids apart should the count start again (sent rows are pruned after KEEP_SENT_DAYS).
        return ($seen + 1) . '-' . gmdate('Ymd\THis\Z') . "-{$hash}";
    }

    /** @return array{id:int, verb:string, discriminator:string, n:int}|null the newest status change of a service, n the highest count */
    private static function latestStatusChange(string $objectRef): ?array
    {
        $latest = null;
        $max = 0;
        foreach (Capsule::table(self::TABLE)->where('object_ref', $objectRef)->orderBy('id', 'desc')->get() as $row) {
            $change = self::statusChangeOf($row);
            if ($change === null) {
                continue;
            }
            $latest ??= $change + ['id' => (int) $row->id];
            $max = max($max, $change['n']);
        }
        return $latest === null ? null : ['n' => $max] + $latest;
    }

    /** @return array{verb:string, discriminator:string, n:int}|null */
    private static function statusChangeOf(object $row): ?array
    {
        if (!preg_match('/^whmcs:service:\d+:(suspended|unsuspended|terminated):((\d{1,9})-\d{8}T\d{6}Z)$/', (string) $row->event_id, $m)) {
            return null;
        }
        return ['verb' => $m[1], 'discriminator' => $m[2], 'n' => (int) $m[3]];
    }

    /** The discriminator of the last `invoice.paid` sent for an invoice, for its reversal. */
    public static function lastPaid(int $invoiceId): ?string
    {
        $row = Capsule::table(self::TABLE)->where('object_ref', "invoice:{$invoiceId}")->where('event_type', 'invoice.paid')->orderBy('id', 'desc')->first();
        return $row === null ? null : (string) $row->discriminator;
    }

    /** 'sent', 'retry' or 'failed'. */
    private function attempt(object $row): string
    {
        $problems = $this->settings->problems();
        if ($problems !== []) {
            return $this->retry($row, 'not configured: ' . implode('; ', $problems));
        }
        $id = (string) $row->event_id;
        $body = (string) $row->body;
        $headers = Signing::webhookHeaders($this->settings->webhookSecret(), $id, time(), $body);
        [$status, $answer, $error] = ($this->transport)($this->settings->pluginUrl() . '/hooks/events', $headers, $body, $this->settings->timeoutSeconds());
        // Down or hanging: every further attempt in this request would wait its timeout too.
        self::$unreachable = $status === 0;
        if ($status >= 200 && $status < 300) {
            Capsule::table(self::TABLE)->where('id', $row->id)->update(['state' => 'sent', 'sent_at' => self::dbNow(), 'last_error' => '', 'attempts' => (int) $row->attempts + 1]);
            return 'sent';
        }
        $why = $status === 0 ? "unreachable: {$error}" : "HTTP {$status}: " . substr($answer, 0, 300);
        // The plugin refused the event itself (a bad field, a conflicting id): sending it again won't change that.
        if (in_array($status, [400, 409, 413, 422], true)) {
            // Only a waiting row: one sent already, its hook fired again, stays sent.
            Capsule::table(self::TABLE)->where('id', $row->id)->where('state', 'pending')->update(['state' => 'failed', 'last_error' => substr($why, 0, 500), 'attempts' => (int) $row->attempts + 1]);
            logActivity("Hosting Rewards: event {$id} refused, not retried: {$why}");
            return 'failed';
        }
        return $this->retry($row, $why);
    }

    private function retry(object $row, string $why): string
    {
        $attempts = (int) $row->attempts + 1;
        $age = time() - (strtotime((string) $row->created_at) ?: time());
        if ((string) $row->state !== 'pending') {
            return 'retry';
        }
        if ($age > self::GIVE_UP_DAYS * 86400) {
            Capsule::table(self::TABLE)->where('id', $row->id)->update(['state' => 'failed', 'attempts' => $attempts, 'last_error' => substr($why, 0, 500)]);
            logActivity("Hosting Rewards: event {$row->event_id} given up after " . self::GIVE_UP_DAYS . " days: {$why}");
            return 'failed';
        }
        // The cron runs every five minutes; back off to an hour so a long outage costs little.
        $delay = min(3600, 60 * (2 ** min(6, $attempts - 1)));
        Capsule::table(self::TABLE)->where('id', $row->id)->update([
            'attempts' => $attempts,
            'next_attempt_at' => date('Y-m-d H:i:s', time() + $delay),
            'last_error' => substr($why, 0, 500),
        ]);
        logActivity("Hosting Rewards: event {$row->event_id} not delivered ({$why}); spooled for the cron");
        return 'retry';
    }

    /** @return array{0:int,1:string,2:string} status (0 when unreachable), body, error */
    public static function curlPost(string $url, array $headers, string $body, int $timeout): array
    {
        return self::request('POST', $url, $headers, $body, $timeout);
    }

    /** A GET with no body (the admin page's look at `/healthz`), the same way as deliveries. */
    public static function curlGet(string $url, int $timeout): array
    {
        return self::request('GET', $url, ['accept' => 'application/json'], null, $timeout);
    }

    /** @return array{0:int,1:string,2:string} status (0 when unreachable), body, error */
    private static function request(string $method, string $url, array $headers, ?string $body, int $timeout): array
    {
        if (!function_exists('curl_init')) {
            return self::streamRequest($method, $url, $headers, $body, $timeout);
        }
        $ch = curl_init($url);
        $lines = [];
        foreach ($headers as $name => $value) {
            $lines[] = "{$name}: {$value}";
        }
        $options = [
            CURLOPT_HTTPHEADER => $lines,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => min(3, $timeout),
            CURLOPT_TIMEOUT => $timeout,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
        ];
        if ($method === 'POST') {
            $options[CURLOPT_POST] = true;
            $options[CURLOPT_POSTFIELDS] = (string) $body;
        }
        curl_setopt_array($ch, $options);
        $answer = curl_exec($ch);
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        $error = curl_error($ch);
        curl_close($ch);
        return [$answer === false ? 0 : $status, is_string($answer) ? $answer : '', $error];
    }

    /** The same request without the curl extension (WHMCS requires curl; a bare PHP may lack it). */
    private static function streamRequest(string $method, string $url, array $headers, ?string $body, int $timeout): array
    {
        $lines = '';
        foreach ($headers as $name => $value) {
            $lines .= "{$name}: {$value}\r\n";
        }
        $http = [
            'method' => $method,
            'header' => $lines,
            'timeout' => $timeout,
            'ignore_errors' => true,
            'follow_location' => 0,
        ];
        if ($body !== null) {
            $http['content'] = $body;
        }
        $context = stream_context_create(['http' => $http]);
        $http_response_header = [];
        $answer = @file_get_contents($url, false, $context);
        $status = 0;
        if (isset($http_response_header[0]) && preg_match('#^HTTP/\S+\s+(\d{3})#', $http_response_header[0], $m)) {
            $status = (int) $m[1];
        }
        $error = $answer === false ? (error_get_last()['message'] ?? 'request failed') : '';
        return [$status, is_string($answer) ? $answer : '', $error];
    }

    private static function dbNow(): string
    {
        return date('Y-m-d H:i:s');
    }
}
