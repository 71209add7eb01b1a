<?php
/**
 * Hosting Rewards for WHMCS: the addon module (configuration, its spool table, the client
 * area's Rewards page and the admin link). hooks.php forwards the billing events.
 *
 * PHP 8.1+, no Composer dependencies. See the plugin's README, "Install into WHMCS".
 */

use HostingRewards\Events;
use HostingRewards\Settings;
use HostingRewards\Spool;
use HostingRewards\Sso;
use WHMCS\Database\Capsule;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/bootstrap.php';
require_once __DIR__ . '/hosting_rewards_lang.php';

function hosting_rewards_config(): array
{
    return [
        'name' => 'Hosting Rewards',
        'description' => 'Loyalty points, tiers and rewards: forwards billing events to the Hosting Rewards plugin and adds a Rewards tab to the client area.',
        'author' => 'hosting-rewards',
        'language' => 'english',
        'version' => '1.0.0',
        'fields' => [
            'plugin_url' => [
                'FriendlyName' => 'Plugin URL',
                'Type' => 'text',
                'Size' => '60',
                'Default' => '',
                'Description' => 'Where the plugin answers, e.g. https://rewards.example.com (its PUBLIC_URL, with the mount point if any)',
            ],
            'webhook_secret' => [
                'FriendlyName' => 'Webhook secret',
                'Type' => 'password',
                'Size' => '60',
                'Default' => '',
                'Description' => "The plugin's WEBHOOK_SECRET: whsec_ followed by base64",
            ],
            'sso_secret' => [
                'FriendlyName' => 'SSO secret',
                'Type' => 'password',
                'Size' => '60',
                'Default' => '',
                'Description' => "The plugin's SSO_SECRET (32+ characters): signs the Rewards tab and admin links",
            ],
            'tier_discount_mode' => [
                'FriendlyName' => 'Tier discount mode',
                'Type' => 'dropdown',
                'Options' => implode(',', Settings::TIER_MODES),
                'Default' => Settings::DEFAULT_TIER_MODE,
                'Description' => "Must be the same as the plugin's program setting tier_discount_method (its admin area, Program settings; default invoice_line). invoice_line: new invoices are sent to the plugin, which adds a discount line; client_tier: tiers map to client groups (UpdateClient, the plugin's WHMCS_TIER_GROUPS); cashback, none: nothing more is sent",
            ],
            'tab_mode' => [
                'FriendlyName' => 'Rewards tab',
                'Type' => 'dropdown',
                'Options' => 'link,iframe',
                'Default' => 'link',
                'Description' => 'link opens the plugin as a page of its own (works everywhere); iframe embeds it, only when the plugin is on the same site as WHMCS (browsers block cross-site cookies in frames)',
            ],
            'return_url' => [
                'FriendlyName' => 'Back link',
                'Type' => 'yesno',
                'Description' => "Send the client area's URL so the tab can link back (needs the plugin's PANEL_ORIGIN set to this WHMCS)",
            ],
            'admin_roles' => [
                'FriendlyName' => 'Admin roles',
                'Type' => 'textarea',
                'Rows' => '3',
                'Default' => Settings::DEFAULT_ADMIN_ROLES,
                'Description' => 'WHMCS admin role (name or id) = plugin role (owner, billing or viewer), one per line; other roles are viewers',
            ],
            'timeout' => [
                'FriendlyName' => 'Timeout (seconds)',
                'Type' => 'text',
                'Size' => '3',
                'Default' => '5',
                'Description' => 'How long a hook waits for the plugin (1-10) before leaving the event to the cron',
            ],
        ],
    ];
}

function hosting_rewards_activate(): array
{
    try {
        Spool::createTable();
        return ['status' => 'success', 'description' => "Hosting Rewards is active. Set the plugin URL, both secrets and the tier discount mode (the same as the plugin's tier_discount_method), then open Addons > Hosting Rewards: it checks that the plugin answers at that URL."];
    } catch (\Throwable $e) {
        return ['status' => 'error', 'description' => 'Could not create the spool table: ' . $e->getMessage()];
    }
}

/**
 * Drops the spool table, and with it any event the plugin never got. Deactivating always
 * succeeds (an admin removing the addon, or the plugin, must be able to); what it drops is
 * counted in the answer and each id logged, so the admin knows what to send again.
 */
function hosting_rewards_deactivate(): array
{
    try {
        $dropped = Spool::undelivered();
        Spool::dropTable();
    } catch (\Throwable $e) {
        return ['status' => 'error', 'description' => 'Could not drop the spool table: ' . $e->getMessage()];
    }
    if ($dropped['count'] === 0) {
        return ['status' => 'success', 'description' => 'Hosting Rewards is deactivated and its spool table dropped; every event had reached the plugin. Points stay in the plugin.'];
    }
    $n = $dropped['count'];
    $shown = array_slice($dropped['ids'], 0, 200);
    logActivity("Hosting Rewards: deactivated; dropped {$n} undelivered " . ($n === 1 ? 'event' : 'events') . ': ' . implode(', ', $shown) . ($n > count($shown) ? ' and ' . ($n - count($shown)) . ' more' : ''));
    return ['status' => 'success', 'description' => sprintf(
        'Hosting Rewards is deactivated and its spool table dropped. %d %s not reached the plugin and %s dropped with it (their ids are in the Activity Log): '
        . 'payments among them earn no points, and refunds, reversals and other changes among them are not applied, unless they are sent again. '
        . 'To send payments and refunds again, run "npm run backfill -- --from whmcs --since %s" where the plugin runs (it skips what it already has). '
        . 'Points already earned stay in the plugin.',
        $n,
        $n === 1 ? 'event had' : 'events had',
        $n === 1 ? 'was' : 'were',
        (string) $dropped['since'],
    )];
}

/** Where `go=1` sends the browser; tests replace it (a real redirect ends the request). */
function hosting_rewards_redirect(string $url): void
{
    if (defined('HOSTING_REWARDS_NO_EXIT')) {
        $GLOBALS['hosting_rewards_redirected'] = $url;
        return;
    }
    header('Location: ' . $url, true, 302);
    header('Cache-Control: no-store');
    exit;
}

/**
 * The client area page (index.php?m=hosting_rewards). A link mode page sends the client on
 * with `go=1`, which makes the single-use token at the moment of the click; iframe mode frames
 * the tab with a token made for this view.
 */
function hosting_rewards_clientarea(array $vars): array
{
    $settings = Settings::fromVars($vars);
    $lang = (($vars['_lang'] ?? null) ?: []) + hosting_rewards_lang($_SESSION['Language'] ?? null);
    $page = [
        'pagetitle' => $lang['page_title'],
        'breadcrumb' => ['index.php?m=hosting_rewards' => $lang['page_title']],
        'templatefile' => 'clientarea',
        'requirelogin' => true,
        'forcessl' => false,
        'vars' => ['mode' => $settings->tabMode(), 'rewards_url' => null, 'go_url' => 'index.php?m=hosting_rewards&go=1', 'lang' => $lang, 'error' => null],
    ];
    $clientId = (int) ($_SESSION['uid'] ?? 0);
    if ($clientId <= 0) {
        return $page;
    }
    if ($settings->problems() !== []) {
        $page['vars']['error'] = $lang['unavailable'];
        return $page;
    }
    $go = $settings->tabMode() === 'link' && !empty($_GET['go']);
    if ($settings->tabMode() === 'link' && !$go) {
        return $page; // The button: its click makes the token.
    }
    try {
        $client = Events::clientBlock($clientId);
        $system = rtrim((string) ($GLOBALS['CONFIG']['SystemURL'] ?? ''), '/');
        $return = $settings->sendReturnUrl() && $system !== '' ? $system . '/clientarea.php' : null;
        $url = Sso::clientUrl($settings, $clientId, $client['locale'] ?? null, $return);
    } catch (\Throwable $e) {
        logActivity('Hosting Rewards: client area link failed: ' . $e->getMessage());
        $page['vars']['error'] = $lang['unavailable'];
        return $page;
    }
    if ($go) {
        hosting_rewards_redirect($url);
        return $page;
    }
    $page['vars']['rewards_url'] = $url;
    return $page;
}

/**
 * Whether the plugin answers at its URL: a GET of its `/healthz` (public, read-only, no
 * secret sent), within the hooks' timeout. `state` is `ok`, `degraded` (it answers, but
 * something needs the operator: its `reason`) or `down` (no answer, or not a healthy one).
 *
 * @return array{state:string, detail:string}
 */
function hosting_rewards_check_plugin(Settings $settings): array
{
    $url = $settings->pluginUrl() . '/healthz';
    [$status, $answer, $error] = Spool::curlGet($url, min(5, $settings->timeoutSeconds()));
    if ($status === 0) {
        return ['state' => 'down', 'detail' => "GET {$url}: no answer ({$error})"];
    }
    $health = json_decode($answer, true);
    $said = is_array($health) ? (string) ($health['status'] ?? '') : '';
    $reason = is_array($health) && is_string($health['reason'] ?? null) ? $health['reason'] : '';
    if ($status === 200 && $said === 'ok') {
        return ['state' => 'ok', 'detail' => "GET {$url}: 200 ok"];
    }
    if ($status === 200 && $said === 'degraded') {
        return ['state' => 'degraded', 'detail' => "GET {$url}: 200 degraded: {$reason}"];
    }
    // Not the plugin's answer (a wrong URL, a proxy's error page), or the plugin unwell (503 and why).
    return ['state' => 'down', 'detail' => "GET {$url}: HTTP {$status}" . ($reason !== '' ? ": {$reason}" : ($said === '' ? ' (not the plugin\'s /healthz answer: check the URL)' : ": {$said}"))];
}

/**
 * The admin page (Addons > Hosting Rewards): whether the plugin answers, the tier discount
 * mode, a link into the plugin's admin area signed for this admin (with the role the "Admin
 * roles" setting maps their WHMCS role to), and the state of the spool.
 */
function hosting_rewards_output(array $vars): void
{
    $settings = Settings::fromVars($vars);
    $lang = (($vars['_lang'] ?? null) ?: []) + hosting_rewards_lang('english');
    $e = static fn ($s) => htmlspecialchars((string) $s, ENT_QUOTES, 'UTF-8');
    $problems = $settings->problems();
    if ($problems !== []) {
        echo '<div class="alert alert-warning"><ul>';
        foreach ($problems as $p) {
            echo '<li>' . $e($p) . '</li>';
        }
        echo '</ul></div>';
        return;
    }
    $adminId = (int) ($_SESSION['adminid'] ?? 0);
    $admin = Capsule::table('tbladmins')->where('id', $adminId)->first();
    if ($admin === null) {
        echo '<div class="alert alert-danger">' . $e($lang['admin_none']) . '</div>';
        return;
    }
    $roleName = (string) (Capsule::table('tbladminroles')->where('id', (int) $admin->roleid)->value('name') ?? '');
    $role = $settings->pluginRoleFor((int) $admin->roleid, $roleName);
    $name = trim(($admin->firstname ?? '') . ' ' . ($admin->lastname ?? '')) ?: (string) ($admin->username ?? "admin {$adminId}");
    $url = Sso::adminUrl($settings, $adminId, $name, $role);
    if (!empty($_GET['go'])) {
        // The admin page is already being rendered: leave by script, with a link as fallback.
        echo '<script>window.location.replace(' . json_encode($url, JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_QUOT | JSON_HEX_APOS) . ');</script>';
        echo '<p><a href="' . $e($url) . '">' . $e($lang['admin_open']) . '</a></p>';
        return;
    }
    $check = hosting_rewards_check_plugin($settings);
    $alert = ['ok' => 'success', 'degraded' => 'warning', 'down' => 'danger'][$check['state']];
    echo '<div class="alert alert-' . $alert . '"><strong>' . $e($lang['admin_check']) . ':</strong> ' . $e($lang['admin_check_' . $check['state']]) . ' &middot; <code>' . $e($check['detail']) . '</code>';
    echo '<br><small>' . $e($lang['admin_check_secrets']) . '</small></div>';
    echo '<p><strong>' . $e($lang['admin_tier_mode']) . ':</strong> <code>' . $e($settings->tierDiscountMode()) . '</code> &middot; ' . $e($lang['admin_tier_mode_note']) . '</p>';
    $link = ($vars['modulelink'] ?? 'addonmodules.php?module=hosting_rewards') . '&go=1';
    echo '<p><a class="btn btn-primary" target="_blank" rel="noopener" href="' . $e($link) . '">' . $e($lang['admin_open']) . '</a> ';
    echo '<span class="text-muted">' . $e("{$name}: {$role}") . '</span></p>';
    $pending = Capsule::table(Spool::TABLE)->where('state', 'pending')->count();
    $failed = Capsule::table(Spool::TABLE)->where('state', 'failed')->count();
    echo '<p>' . $e($lang['admin_spool']) . ': ' . (int) $pending . ' &middot; ' . $e($lang['admin_failed']) . ': ' . (int) $failed . '</p>';
    $recent = Capsule::table(Spool::TABLE)->where('last_error', '<>', '')->orderBy('id', 'desc')->limit(10)->get();
    echo '<table class="table table-condensed"><tbody>';
    foreach ($recent as $row) {
        echo '<tr><td>' . $e($row->event_id) . '</td><td>' . $e($row->state) . '</td><td>' . $e($row->last_error) . '</td></tr>';
    }
    echo '</tbody></table>';
}
