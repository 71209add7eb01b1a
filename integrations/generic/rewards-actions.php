<?php
/**
 * hosting-rewards → your panel: a receiver for panel actions (README "Any other panel").
 *
 * PHP 8.1+, no Composer. Point PANEL_ACTIONS_URL at this file and give it the plugin's
 * WEBHOOK_SECRET. Each request is one action, signed per Standard Webhooks:
 *   webhook-id        = the action's idempotency key (also "idempotency_key" in the body)
 *   webhook-timestamp = unix seconds
 *   webhook-signature = "v1,<base64 HMAC-SHA256 of id.timestamp.body>" (space-separated list)
 * An action whose `data` lacks a field its type needs, or has one of the wrong type, is answered
 * 422 {"error":"invalid_data","field":"data.<name>"} before anything is claimed or done.
 * Answer 2xx, optionally with {"reference": "<your id for what you created>"}. Any other answer
 * (or none within PANEL_TIMEOUT_SECONDS) is retried with backoff; 410 Gone pauses all actions
 * until the plugin's operator resumes them, so answer 410 only when this URL is retired.
 *
 * Try it: WEBHOOK_SECRET=whsec_... php -S 127.0.0.1:8081 rewards-actions.php
 */
declare(strict_types=1);

const REWARDS_TOLERANCE_SECONDS = 300;

/** What each action's `data` holds (README "Any other panel"); `?` marks a field that may be absent. */
const REWARDS_FIELDS = [
    'invoice.discount' => ['invoice_id' => 'text', 'amount' => 'amount', 'currency' => 'currency', 'description' => 'text'],
    'client.tier'      => ['client_id' => 'text', 'tier' => 'text'],
    'client.credit'    => ['client_id' => 'text', 'amount' => 'amount', 'currency' => 'currency', 'description' => 'text'],
    'promo.create'     => ['client_id' => 'text', 'code' => 'text', 'percent' => '?percent', 'amount' => '?amount', 'currency' => '?currency', 'expires_at' => 'time', 'description' => 'text'],
    'client.email'     => ['client_id' => 'text', 'to' => 'text', 'subject' => 'text', 'html' => 'text', 'text' => 'text', 'purpose' => 'text', 'message_id' => 'text'],
];
const REWARDS_KINDS = [
    'text'     => 'a non-empty string',
    'amount'   => 'a positive decimal string such as "12.50"',
    'currency' => 'an ISO 4217 code such as "USD"',
    'percent'  => 'an integer from 1 to 100',
    'time'     => 'an RFC 3339 time string, or null',
];

/** The secret's key bytes: `whsec_` followed by base64. */
function rewards_key(string $secret): ?string
{
    if (str_starts_with($secret, 'whsec_')) {
        $secret = substr($secret, 6);
    }
    $key = base64_decode($secret, true);
    return ($key === false || $key === '') ? null : $key;
}

/** True when one of the signatures is ours for exactly this id, timestamp and body, and the timestamp is fresh. */
function rewards_verify(string $key, string $id, string $timestamp, string $body, string $signatures, int $now): bool
{
    if ($id === '' || preg_match('/^\d{1,12}$/', $timestamp) !== 1) {
        return false;
    }
    if (abs($now - (int) $timestamp) > REWARDS_TOLERANCE_SECONDS) {
        return false; // stale or from the future: a replay, or a clock that is off
    }
    $expected = base64_encode(hash_hmac('sha256', $id . '.' . $timestamp . '.' . $body, $key, true));
    foreach (explode(' ', trim($signatures)) as $candidate) {
        [$version, $signature] = array_pad(explode(',', $candidate, 2), 2, '');
        if ($version === 'v1' && hash_equals($expected, $signature)) { // constant-time compare
            return true;
        }
    }
    return false;
}

/** The first field of `data` that isn't what the action needs: [field, why]; null when all are. */
function rewards_problem(string $type, array $data): ?array
{
    if (!isset(REWARDS_FIELDS[$type])) {
        return ['type', "is {$type}, an action this receiver doesn't know"];
    }
    foreach (REWARDS_FIELDS[$type] as $field => $kind) {
        $optional = str_starts_with($kind, '?');
        $kind = ltrim($kind, '?');
        if (!array_key_exists($field, $data)) {
            if ($optional) {
                continue;
            }
            return ["data.{$field}", 'is required: ' . REWARDS_KINDS[$kind]];
        }
        $value = $data[$field];
        $ok = match ($kind) {
            'text'     => is_string($value) && $value !== '',
            'amount'   => is_string($value) && preg_match('/^\d+(\.\d+)?$/', $value) === 1,
            'currency' => is_string($value) && preg_match('/^[A-Z]{3}$/', $value) === 1,
            'percent'  => is_int($value) && $value >= 1 && $value <= 100,
            'time'     => $value === null || (is_string($value) && $value !== ''),
        };
        if (!$ok) {
            return ["data.{$field}", 'must be ' . REWARDS_KINDS[$kind]];
        }
    }
    if ($type === 'promo.create') { // a percentage off, or an amount off in a currency
        if (array_key_exists('percent', $data) === array_key_exists('amount', $data)) {
            return ['data.percent', 'or data.amount: exactly one is required'];
        }
        if (array_key_exists('amount', $data) !== array_key_exists('currency', $data)) {
            return ['data.currency', 'is required with data.amount, and only with it'];
        }
    }
    return null;
}

function rewards_answer(int $status, array $body): never
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body);
    exit;
}

/**
 * Does the action in your panel and returns your reference. Replace the bodies with your
 * panel's API calls; money comes as a decimal string ("12.50") plus an ISO 4217 currency.
 */
function rewards_perform(string $type, array $data, string $key): string
{
    return match ($type) {
        'invoice.discount' => 'line-' . substr(hash('sha256', $key), 0, 12),   // add a line of -$data['amount'] to $data['invoice_id']
        'client.tier'      => 'group-' . $data['tier'],                          // move $data['client_id'] to the tier's client group
        'client.credit'    => 'credit-' . substr(hash('sha256', $key), 0, 12), // add $data['amount'] $data['currency'] credit
        'promo.create'     => 'promo-' . $data['code'],                          // create the single-use code
        'client.email'     => 'mail-' . substr(hash('sha256', $key), 0, 12),   // send $data['subject'], $data['html'], $data['text'] to $data['to']
        default            => throw new DomainException("unsupported action $type"),
    };
}

$key = rewards_key((string) getenv('WEBHOOK_SECRET'));
if ($key === null) {
    rewards_answer(500, ['error' => 'WEBHOOK_SECRET is not set to whsec_<base64>']);
}
if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST') {
    rewards_answer(405, ['error' => 'POST only']);
}
$body = (string) file_get_contents('php://input');
$id = (string) ($_SERVER['HTTP_WEBHOOK_ID'] ?? '');
if (!rewards_verify($key, $id, (string) ($_SERVER['HTTP_WEBHOOK_TIMESTAMP'] ?? ''), $body, (string) ($_SERVER['HTTP_WEBHOOK_SIGNATURE'] ?? ''), time())) {
    rewards_answer(401, ['error' => 'invalid_signature']);
}
$action = json_decode($body, true);
if (!is_array($action) || ($action['idempotency_key'] ?? null) !== $id || !is_string($action['type'] ?? null) || !is_array($action['data'] ?? null)) {
    rewards_answer(400, ['error' => 'malformed_action']);
}
// Before the claim below: nothing is stored for a key whose action can't be done as sent.
$problem = rewards_problem($action['type'], $action['data']);
if ($problem !== null) {
    rewards_answer(422, ['error' => 'invalid_data', 'field' => $problem[0], 'message' => "{$problem[0]} {$problem[1]}"]);
}

// Exactly once: the same key arrives again when an answer was lost. Claim the key before acting
// (an exclusive create here; a unique key in your database in production), and answer a repeat
// with the first reference. The claim is locked while its delivery acts: a claim with no lock
// and no reference is one whose delivery died half-way (a fatal error, a timeout), which this
// one takes over, so it isn't answered "in progress" until the plugin gives up. (That delivery
// may have acted already: make rewards_perform find what it did for the key, as the WHMCS
// adapter looks a credit up before adding one.) Claims hold client data: only we can read them.
umask(0077);
$store = rtrim((string) (getenv('REWARDS_ACTIONS_DIR') ?: sys_get_temp_dir()), '/');
$file = $store . '/rewards-action-' . hash('sha256', $id) . '.json';
$claim = @fopen($file, 'x');
if ($claim === false) {
    $claim = @fopen($file, 'r+');
    if ($claim === false || !flock($claim, LOCK_EX | LOCK_NB)) {
        rewards_answer(409, ['error' => 'in_progress']); // a concurrent delivery holds it: retried later
    }
    $seen = json_decode((string) stream_get_contents($claim), true);
    if (is_array($seen) && isset($seen['reference'])) {
        rewards_answer(200, ['reference' => $seen['reference']]);
    }
} elseif (!flock($claim, LOCK_EX | LOCK_NB)) {
    rewards_answer(409, ['error' => 'in_progress']); // claimed by another delivery between our create and lock
}
try {
    $reference = rewards_perform($action['type'], $action['data'], $id);
} catch (Throwable $e) {
    unlink($file); // not done: the retry may act
    fclose($claim);
    rewards_answer(422, ['error' => $e->getMessage()]);
}
ftruncate($claim, 0);
rewind($claim);
fwrite($claim, (string) json_encode(['type' => $action['type'], 'data' => $action['data'], 'reference' => $reference]));
fflush($claim);
fclose($claim);
rewards_answer(200, ['reference' => $reference]);
