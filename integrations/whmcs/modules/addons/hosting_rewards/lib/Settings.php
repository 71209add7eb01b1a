<?php

namespace HostingRewards;

use WHMCS\Database\Capsule;

/**
 * The addon's configuration as saved in Setup > Addon Modules (tbladdonmodules). Hooks get no
 * module variables from WHMCS, so they read them here.
 */
final class Settings
{
    public const MODULE = 'hosting_rewards';
    /**
     * The plugin's tier_discount_method values, its default first (plugin/domain/settings.ts):
     * the two must be set alike, and a fresh install of each has the same one.
     */
    public const TIER_MODES = ['invoice_line', 'client_tier', 'cashback', 'none'];
    public const DEFAULT_TIER_MODE = 'invoice_line';
    public const DEFAULT_ADMIN_ROLES = 'Full Administrator=owner';

    /** @param array<string, string> $values */
    public function __construct(private array $values)
    {
    }

    public static function load(): self
    {
        $values = [];
        foreach (Capsule::table('tbladdonmodules')->where('module', self::MODULE)->get() as $row) {
            $values[(string) $row->setting] = (string) $row->value;
        }
        return new self($values);
    }

    /** From the variables WHMCS passes to `_clientarea` and `_output`. */
    public static function fromVars(array $vars): self
    {
        return new self(array_map(static fn ($v) => is_scalar($v) ? (string) $v : '', $vars));
    }

    public function get(string $name, string $default = ''): string
    {
        $v = trim($this->values[$name] ?? '');
        return $v === '' ? $default : $v;
    }

    /** Where the plugin is mounted, without a trailing slash: `https://rewards.example.com`. */
    public function pluginUrl(): string
    {
        return rtrim($this->get('plugin_url'), '/');
    }

    public function webhookSecret(): string
    {
        return $this->get('webhook_secret');
    }

    public function ssoSecret(): string
    {
        return $this->get('sso_secret');
    }

    /** Only `invoice_line` changes what the hooks send: new invoices go to the plugin, which adds the discount line. */
    public function tierDiscountMode(): string
    {
        $mode = $this->get('tier_discount_mode', self::DEFAULT_TIER_MODE);
        return in_array($mode, self::TIER_MODES, true) ? $mode : self::DEFAULT_TIER_MODE;
    }

    /** `link` (a top-level page, the default) or `iframe` (only when both are on one site). */
    public function tabMode(): string
    {
        return $this->get('tab_mode', 'link') === 'iframe' ? 'iframe' : 'link';
    }

    public function sendReturnUrl(): bool
    {
        return in_array(strtolower($this->get('return_url')), ['on', 'yes', '1', 'true'], true);
    }

    /** Seconds a hook waits for the plugin before it spools the event. */
    public function timeoutSeconds(): int
    {
        $t = (int) $this->get('timeout', '5');
        return max(1, min(10, $t));
    }

    /** What is missing for events to be sent, in words; empty when ready. */
    public function problems(): array
    {
        $out = [];
        if (!preg_match('#^https?://#i', $this->pluginUrl())) {
            $out[] = 'Plugin URL must start with http:// or https://';
        }
        if (!preg_match('#^whsec_[A-Za-z0-9+/=]{16,}$#', $this->webhookSecret())) {
            $out[] = 'Webhook secret must be whsec_ followed by base64 (the plugin\'s WEBHOOK_SECRET)';
        }
        if (strlen($this->ssoSecret()) < 32) {
            $out[] = 'SSO secret must be at least 32 characters (the plugin\'s SSO_SECRET)';
        }
        return $out;
    }

    /**
     * The plugin role for a WHMCS admin role, from the "Admin roles" setting: one
     * `<role name or id>=<owner|billing|viewer>` per line or comma; anything else is a viewer.
     */
    public function pluginRoleFor(int $roleId, string $roleName): string
    {
        $spec = $this->get('admin_roles', self::DEFAULT_ADMIN_ROLES);
        foreach (preg_split('/[\r\n,;]+/', $spec) ?: [] as $line) {
            $parts = array_map('trim', explode('=', $line, 2));
            if (count($parts) !== 2 || !in_array(strtolower($parts[1]), ['owner', 'billing', 'viewer'], true)) {
                continue;
            }
            if ($parts[0] === (string) $roleId || strcasecmp($parts[0], $roleName) === 0) {
                return strtolower($parts[1]);
            }
        }
        return 'viewer';
    }
}
