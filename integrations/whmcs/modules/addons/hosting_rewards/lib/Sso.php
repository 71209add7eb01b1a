<?php

namespace HostingRewards;

/**
 * Short-lived single-use HS256 tokens the plugin swaps for its own session (DESIGN §7):
 * `<plugin>/sso?token=` for a client, `<plugin>/admin/sso?token=` for an admin.
 */
final class Sso
{
    public const CLIENT_AUDIENCE = 'hosting-rewards';
    public const ADMIN_AUDIENCE = 'hosting-rewards-admin';
    private const TTL = 120;

    public static function clientUrl(Settings $s, int $clientId, ?string $locale = null, ?string $returnUrl = null): string
    {
        $claims = self::base((string) $clientId, self::CLIENT_AUDIENCE);
        if ($locale !== null) {
            $claims['locale'] = $locale;
        }
        if ($returnUrl !== null) {
            $claims['return_url'] = $returnUrl;
        }
        return $s->pluginUrl() . '/sso?token=' . rawurlencode(Signing::jwt($claims, $s->ssoSecret()));
    }

    public static function adminUrl(Settings $s, int $adminId, string $name, string $role): string
    {
        $claims = self::base((string) $adminId, self::ADMIN_AUDIENCE) + ['admin' => (string) $adminId, 'name' => $name, 'role' => $role];
        return $s->pluginUrl() . '/admin/sso?token=' . rawurlencode(Signing::jwt($claims, $s->ssoSecret()));
    }

    private static function base(string $sub, string $audience): array
    {
        $now = time();
        return ['sub' => $sub, 'aud' => $audience, 'iat' => $now, 'exp' => $now + self::TTL, 'jti' => bin2hex(random_bytes(16))];
    }
}
