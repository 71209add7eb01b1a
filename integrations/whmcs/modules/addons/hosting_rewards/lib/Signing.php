<?php
/**
 * Standard Webhooks signatures and HS256 tokens, with nothing but hash_hmac: the panel side
 * runs inside WHMCS, where no Composer library can be installed.
 */

namespace HostingRewards;

final class Signing
{
    /**
     * Standard Webhooks headers for one delivery: `v1,` + base64 HMAC-SHA256 over
     * `id.timestamp.body`, keyed by the base64 part of the `whsec_` secret.
     *
     * @return array<string, string>
     */
    public static function webhookHeaders(string $secret, string $id, int $timestamp, string $body): array
    {
        $key = self::webhookKey($secret);
        $signature = base64_encode(hash_hmac('sha256', $id . '.' . $timestamp . '.' . $body, $key, true));
        return [
            'content-type' => 'application/json',
            'webhook-id' => $id,
            'webhook-timestamp' => (string) $timestamp,
            'webhook-signature' => 'v1,' . $signature,
        ];
    }

    /** The raw key of a `whsec_…` secret; a secret without the prefix is taken as base64 as well. */
    public static function webhookKey(string $secret): string
    {
        $b64 = str_starts_with($secret, 'whsec_') ? substr($secret, 6) : $secret;
        $key = base64_decode($b64, true);
        if ($key === false || $key === '') {
            throw new \InvalidArgumentException('The webhook secret must be whsec_ followed by base64');
        }
        return $key;
    }

    /**
     * Checks a signature header (several space-separated `v1,…` entries may be present) for a
     * delivery, within `$toleranceSeconds` of now. For panel-side receivers of panel actions.
     */
    public static function verifyWebhook(string $secret, string $id, string $timestamp, string $body, string $signatureHeader, int $toleranceSeconds = 300, ?int $now = null): bool
    {
        if (!ctype_digit($timestamp) || abs(($now ?? time()) - (int) $timestamp) > $toleranceSeconds) {
            return false;
        }
        $expected = self::webhookHeaders($secret, $id, (int) $timestamp, $body)['webhook-signature'];
        foreach (preg_split('/\s+/', trim($signatureHeader)) ?: [] as $candidate) {
            if (hash_equals($expected, $candidate)) {
                return true;
            }
        }
        return false;
    }

    /** An HS256 JSON Web Token over `$claims` (RFC 7519 with base64url, no padding). */
    public static function jwt(array $claims, string $secret): string
    {
        $header = self::base64url((string) json_encode(['alg' => 'HS256', 'typ' => 'JWT']));
        $payload = self::base64url((string) json_encode($claims, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR));
        $signature = self::base64url(hash_hmac('sha256', $header . '.' . $payload, $secret, true));
        return $header . '.' . $payload . '.' . $signature;
    }

    public static function base64url(string $bytes): string
    {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }
}
