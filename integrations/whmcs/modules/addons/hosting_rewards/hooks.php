<?php
/**
 * Hosting Rewards: forwards WHMCS hooks to the plugin as canonical signed events.
 *
 * Nothing here may block or break the panel: every hook catches everything, sends with a short
 * timeout, and leaves what it could not send in mod_hosting_rewards_spool for AfterCronJob.
 */

use HostingRewards\Events;
use HostingRewards\Settings;
use HostingRewards\Spool;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/bootstrap.php';
require_once __DIR__ . '/hosting_rewards_lang.php';

/** Runs one hook's work; a failure is logged, never thrown into WHMCS. */
function hosting_rewards_forward(string $hook, callable $build): void
{
    try {
        $settings = Settings::load();
        if ($settings->get('plugin_url') === '') {
            return; // Not configured yet: nothing to send to.
        }
        $built = $build($settings);
        if ($built === null) {
            return;
        }
        $spool = new Spool($settings);
        // A builder returns one event, or a list of them (a refund per transaction).
        foreach (isset($built[0]) && is_array($built[0]) && isset($built[0][0]) ? $built : [$built] as $one) {
            $spool->deliver($one);
        }
    } catch (\Throwable $e) {
        logActivity("Hosting Rewards: {$hook} hook failed: " . get_class($e) . ': ' . $e->getMessage());
    }
}

add_hook('InvoicePaid', 1, function ($vars) {
    hosting_rewards_forward('InvoicePaid', fn () => Events::invoicePaid((int) ($vars['invoiceid'] ?? 0)));
});

// WHMCS fires it only when the whole invoice is refunded; partial refunds come from AddTransaction.
add_hook('InvoiceRefunded', 1, function ($vars) {
    hosting_rewards_forward('InvoiceRefunded', fn () => Events::invoiceRefunded((int) ($vars['invoiceid'] ?? 0)) ?: null);
});

add_hook('AddTransaction', 1, function ($vars) {
    if ((int) ($vars['refundid'] ?? 0) <= 0) {
        return; // A payment: InvoicePaid reports it.
    }
    hosting_rewards_forward('AddTransaction', fn () => Events::refundTransaction((int) ($vars['id'] ?? 0), $vars));
});

foreach (['InvoiceUnpaid' => 'unpaid', 'InvoiceCancelled' => 'cancelled'] as $hostingRewardsHook => $hostingRewardsHow) {
    add_hook($hostingRewardsHook, 1, function ($vars) use ($hostingRewardsHook, $hostingRewardsHow) {
        hosting_rewards_forward($hostingRewardsHook, function () use ($vars, $hostingRewardsHow) {
            $invoiceId = (int) ($vars['invoiceid'] ?? 0);
            return Events::invoiceReversed($invoiceId, Spool::lastPaid($invoiceId), $hostingRewardsHow);
        });
    });
}

// Only the invoice_line tier discount needs to see new invoices (to add its discount line).
add_hook('InvoiceCreated', 1, function ($vars) {
    hosting_rewards_forward('InvoiceCreated', fn (Settings $s) => $s->tierDiscountMode() === 'invoice_line' ? Events::invoiceCreated((int) ($vars['invoiceid'] ?? 0)) : null);
});

foreach (['AfterProductUpgrade', 'AfterConfigOptionsUpgrade'] as $hostingRewardsHook) {
    add_hook($hostingRewardsHook, 1, function ($vars) use ($hostingRewardsHook) {
        hosting_rewards_forward($hostingRewardsHook, fn () => Events::serviceUpgraded((int) ($vars['upgradeid'] ?? 0)));
    });
}

// A status change's id counts the service's status changes (Spool::statusChange): a hook WHMCS
// fires again for the same change repeats its id, the next change gets a new one.
foreach ([
    'AfterModuleSuspend' => ['service.suspended', 'suspended'],
    'AfterModuleUnsuspend' => ['service.unsuspended', 'unsuspended'],
    'AfterModuleTerminate' => ['service.cancelled', 'terminated'],
] as $hostingRewardsHook => [$hostingRewardsType, $hostingRewardsVerb]) {
    add_hook($hostingRewardsHook, 1, function ($vars) use ($hostingRewardsHook, $hostingRewardsType, $hostingRewardsVerb) {
        $serviceId = (int) ($vars['params']['serviceid'] ?? $vars['params']['accountid'] ?? 0);
        if ($serviceId <= 0) {
            return;
        }
        hosting_rewards_forward($hostingRewardsHook, fn () => Events::serviceEvent($serviceId, $hostingRewardsType, $hostingRewardsVerb, Spool::statusChange($serviceId, $hostingRewardsVerb)));
    });
}

add_hook('CancellationRequest', 1, function ($vars) {
    $serviceId = (int) ($vars['relid'] ?? 0);
    if ($serviceId <= 0) {
        return;
    }
    hosting_rewards_forward('CancellationRequest', function () use ($serviceId) {
        $requestId = \WHMCS\Database\Capsule::table('tblcancelrequests')->where('relid', $serviceId)->orderBy('id', 'desc')->value('id');
        return Events::serviceEvent($serviceId, 'service.cancelled', 'cancel-request', $requestId === null ? gmdate('Ymd') : (string) $requestId);
    });
});

add_hook('ClientAdd', 1, function ($vars) {
    hosting_rewards_forward('ClientAdd', fn () => Events::clientCreated((int) ($vars['client_id'] ?? $vars['userid'] ?? 0)));
});

add_hook('ClientEdit', 1, function ($vars) {
    hosting_rewards_forward('ClientEdit', fn () => Events::clientUpdated((int) ($vars['userid'] ?? $vars['client_id'] ?? 0)));
});

add_hook('AfterCronJob', 1, function ($vars) {
    try {
        $settings = Settings::load();
        if ($settings->get('plugin_url') === '') {
            return;
        }
        $r = (new Spool($settings))->flush();
        if ($r['sent'] + $r['failed'] > 0) {
            logActivity("Hosting Rewards: spool flushed, {$r['sent']} sent, {$r['failed']} failed, {$r['waiting']} waiting");
        }
    } catch (\Throwable $e) {
        logActivity('Hosting Rewards: AfterCronJob failed: ' . $e->getMessage());
    }
});

// "Rewards" in the client area's top menu, for signed-in clients.
add_hook('ClientAreaPrimaryNavbar', 1, function ($primaryNavbar) {
    try {
        if (empty($_SESSION['uid']) || !is_object($primaryNavbar) || !is_null($primaryNavbar->getChild('Rewards'))) {
            return;
        }
        $lang = hosting_rewards_lang($_SESSION['Language'] ?? null);
        $primaryNavbar->addChild('Rewards', [
            'label' => $lang['nav_label'],
            'uri' => 'index.php?m=hosting_rewards',
            'order' => 70,
        ]);
    } catch (\Throwable $e) {
        logActivity('Hosting Rewards: navbar hook failed: ' . $e->getMessage());
    }
});
