<?php

namespace HostingRewards;

use WHMCS\Database\Capsule;

/**
 * Builds canonical events (the plugin's public contract, README "Event contract") from WHMCS
 * objects. Each event id is the native object plus a discriminator that stays the same when
 * WHMCS fires the hook again (the paid date, the refund transaction, the upgrade), so a
 * repeat is a duplicate to the plugin and never awards twice. Ids use only `[A-Za-z0-9:_-]`.
 *
 * Every builder returns `[event, objectRef, discriminator]`, or null when there is nothing to
 * send (an object WHMCS no longer has, a payment that is not a refund…).
 */
final class Events
{
    /**
     * The event contract's email rule (zod's `z.email()`, which the sidecar's schema uses; a test
     * keeps the two equal). PHP's FILTER_VALIDATE_EMAIL takes more (`a&b@example.com`).
     */
    private const CONTRACT_EMAIL = "/^(?:[A-Za-z0-9_'+\\-]+\\.)*[A-Za-z0-9_'+\\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\\-]*\\.)+[A-Za-z]{2,}$/";

    /** WHMCS invoice item types (tblinvoiceitems.type) → canonical item types. */
    private const ITEM_TYPES = [
        'Upgrade' => 'upgrade',
        'Addon' => 'addon',
        'Domain' => 'domain',
        'DomainRegister' => 'domain',
        'DomainTransfer' => 'domain',
        'DomainRenew' => 'domain',
        'DomainAddons' => 'domain',
        'AddFunds' => 'add_funds',
        'Invoice' => 'mass_pay',
        'Setup' => 'setup',
    ];

    /** WHMCS billing cycles → canonical ones; "Free Account" has none. */
    private const CYCLES = [
        'monthly' => 'monthly',
        'quarterly' => 'quarterly',
        'semi-annually' => 'semiannually',
        'semiannually' => 'semiannually',
        'annually' => 'annually',
        'biennially' => 'biennially',
        'triennially' => 'triennially',
        'one time' => 'one_time',
        'onetime' => 'one_time',
    ];

    /** WHMCS language names → BCP 47 tags (the plugin ships en, ru, tr, vi, zh). */
    private const LANGUAGES = [
        'english' => 'en', 'russian' => 'ru', 'turkish' => 'tr', 'vietnamese' => 'vi', 'chinese' => 'zh',
        'german' => 'de', 'french' => 'fr', 'spanish' => 'es', 'italian' => 'it', 'dutch' => 'nl',
        'portuguese-br' => 'pt-BR', 'portuguese-pt' => 'pt-PT', 'arabic' => 'ar', 'farsi' => 'fa',
        'hebrew' => 'he', 'hungarian' => 'hu', 'norwegian' => 'nb', 'swedish' => 'sv', 'danish' => 'da',
        'ukranian' => 'uk', 'ukrainian' => 'uk', 'czech' => 'cs', 'polish' => 'pl', 'romanian' => 'ro',
        'croatian' => 'hr', 'estonian' => 'et', 'catalan' => 'ca', 'azerbaijani' => 'az', 'macedonian' => 'mk',
    ];

    // ---- invoices ---------------------------------------------------------------------------

    public static function invoicePaid(int $invoiceId): ?array
    {
        $ctx = self::invoiceContext($invoiceId);
        if ($ctx === null) {
            return null;
        }
        [$invoice, $client, $block] = $ctx;
        $paidAt = self::date($invoice['datepaid'] ?? null);
        $disc = self::stamp($paidAt ?? self::date($invoice['date'] ?? null) ?? 'unknown');
        $event = self::envelope("whmcs:invoice:{$invoiceId}:paid:{$disc}", 'invoice.paid', $paidAt, $client);
        $event['invoice'] = $block;
        return [$event, "invoice:{$invoiceId}", $disc];
    }

    public static function invoiceCreated(int $invoiceId): ?array
    {
        $ctx = self::invoiceContext($invoiceId);
        if ($ctx === null) {
            return null;
        }
        [$invoice, $client, $block] = $ctx;
        $event = self::envelope("whmcs:invoice:{$invoiceId}:created", 'invoice.created', self::date($invoice['date'] ?? null), $client);
        $event['invoice'] = $block;
        return [$event, "invoice:{$invoiceId}", 'created'];
    }

    /**
     * A paid invoice marked Unpaid or Cancelled. Only after a payment we know of: the last
     * `invoice.paid` this addon sent for it, else WHMCS's own paid date. Its discriminator is
     * that payment's, so the reversal of one paid cycle is one event.
     */
    public static function invoiceReversed(int $invoiceId, ?string $lastPaidDiscriminator, string $how): ?array
    {
        $ctx = self::invoiceContext($invoiceId);
        if ($ctx === null) {
            return null;
        }
        [$invoice, $client, $block] = $ctx;
        $disc = $lastPaidDiscriminator ?? (($paid = self::date($invoice['datepaid'] ?? null)) === null ? null : self::stamp($paid));
        if ($disc === null) {
            return null;
        }
        $event = self::envelope("whmcs:invoice:{$invoiceId}:reversed:{$disc}", 'invoice.reversed', self::now(), $client);
        $event['invoice'] = $block;
        return [$event, "invoice:{$invoiceId}", $disc];
    }

    /**
     * One refund transaction (tblaccounts row with a refundid): a partial refund from
     * AddTransaction, or each refund of a fully refunded invoice. Built from the stored
     * transaction, so both hooks produce the same event for it.
     */
    public static function refundTransaction(int $transactionId, array $fallback = []): ?array
    {
        $row = Capsule::table('tblaccounts')->where('id', $transactionId)->first();
        $tx = $row === null ? $fallback : (array) $row;
        $invoiceId = (int) ($tx['invoiceid'] ?? 0);
        if ($invoiceId <= 0 || (int) ($tx['refundid'] ?? 0) <= 0) {
            return null;
        }
        $ctx = self::invoiceContext($invoiceId);
        if ($ctx === null) {
            return null;
        }
        [, $client, $block] = $ctx;
        $digits = Money::digits($block['currency']);
        $amount = Money::toMinor($tx['amountout'] ?? '0', $digits);
        $total = Money::toMinor($block['total'], $digits);
        if ($amount <= 0) {
            return null;
        }
        $block['refunded'] = Money::format(min($amount, $total), $digits);
        $event = self::envelope("whmcs:invoice:{$invoiceId}:refund:{$transactionId}", 'invoice.refunded', self::date($tx['date'] ?? null), $client);
        $event['invoice'] = $block;
        return [$event, "invoice:{$invoiceId}", "refund-{$transactionId}"];
    }

    /**
     * InvoiceRefunded (WHMCS fires it only when the whole invoice is refunded): an event per
     * refund transaction, which repeats what AddTransaction sent (a duplicate to the plugin);
     * an invoice marked Refunded without any refund transaction refunds its whole total.
     *
     * @return list<array>
     */
    public static function invoiceRefunded(int $invoiceId): array
    {
        $out = [];
        foreach (Capsule::table('tblaccounts')->where('invoiceid', $invoiceId)->orderBy('id')->get() as $row) {
            if ((int) ($row->refundid ?? 0) > 0) {
                $e = self::refundTransaction((int) $row->id);
                if ($e !== null) {
                    $out[] = $e;
                }
            }
        }
        if ($out !== []) {
            return $out;
        }
        $ctx = self::invoiceContext($invoiceId);
        if ($ctx === null) {
            return [];
        }
        [$invoice, $client, $block] = $ctx;
        $paid = self::date($invoice['datepaid'] ?? null);
        $disc = $paid === null ? 'unknown' : self::stamp($paid);
        $block['refunded'] = $block['total'];
        $event = self::envelope("whmcs:invoice:{$invoiceId}:refunded:{$disc}", 'invoice.refunded', self::now(), $client);
        $event['invoice'] = $block;
        return [[$event, "invoice:{$invoiceId}", "refunded-{$disc}"]];
    }

    /** @return array{0: array, 1: array, 2: array}|null the GetInvoice answer, the client block, the invoice block */
    private static function invoiceContext(int $invoiceId): ?array
    {
        $invoice = Api::call('GetInvoice', ['invoiceid' => $invoiceId]);
        if ($invoice === null) {
            return null;
        }
        $client = self::clientBlock((int) ($invoice['userid'] ?? 0));
        if ($client === null) {
            return null;
        }
        // WHMCS invoices carry no currency: the client's applies.
        $currency = $client['currency'] ?? null;
        if ($currency === null) {
            logActivity("Hosting Rewards: invoice {$invoiceId} not sent: client {$client['id']} has no ISO 4217 currency code (a currency WHMCS lets you define, such as BTC, can't earn)");
            return null;
        }
        $digits = Money::digits($currency);
        $isOrder = Capsule::table('tblorders')->where('invoiceid', $invoiceId)->exists();
        $items = [];
        foreach (Api::listOf($invoice['items'] ?? null, 'item') as $item) {
            $minor = Money::toMinor($item['amount'] ?? '0', $digits);
            // Promotion, group-discount and our own discount lines are negative; the contract
            // has no negative lines. The plugin deducts what the lines exceed the total by.
            if ($minor <= 0) {
                continue;
            }
            $items[] = self::item($item, $isOrder, Money::format($minor, $digits));
        }
        $subtotal = Money::toMinor($invoice['subtotal'] ?? '0', $digits);
        $tax = Money::toMinor($invoice['tax'] ?? '0', $digits) + Money::toMinor($invoice['tax2'] ?? '0', $digits);
        // WHMCS's `total` is after credit; the contract's total is before it, with the credit share beside it.
        $total = max(0, $subtotal + $tax);
        $credit = min(max(0, Money::toMinor($invoice['credit'] ?? '0', $digits)), $total);
        $block = [
            'id' => (string) $invoiceId,
            'currency' => $currency,
            'total' => Money::format($total, $digits),
            'paid_from_credit' => Money::format($credit, $digits),
            'tax' => Money::format(min(max(0, $tax), $total), $digits),
            'items' => array_slice($items, 0, 500),
        ];
        $number = trim((string) ($invoice['invoicenum'] ?? ''));
        if ($number !== '' && strlen($number) <= 64) {
            $block['number'] = $number;
        }
        return [$invoice, $client, $block];
    }

    private static function item(array $item, bool $isOrder, string $amount): array
    {
        $whmcsType = (string) ($item['type'] ?? '');
        $relid = (int) ($item['relid'] ?? 0);
        $out = ['id' => (string) ($item['id'] ?? ''), 'type' => 'other', 'amount' => $amount];
        if ($out['id'] === '' || $out['id'] === '0') {
            unset($out['id']);
        }
        if ($whmcsType === 'Hosting' || $whmcsType === 'PromoHosting') {
            // A service's first invoice belongs to its order; every later one renews it.
            $out['type'] = $isOrder ? 'new' : 'renewal';
            return $out + ($relid > 0 ? self::serviceFields($relid) : []);
        }
        $out['type'] = self::ITEM_TYPES[$whmcsType] ?? 'other';
        if ($whmcsType === 'Upgrade' && $relid > 0) {
            $serviceId = (int) (Capsule::table('tblupgrades')->where('id', $relid)->value('relid') ?? 0);
            if ($serviceId > 0) {
                $out += self::serviceFields($serviceId);
            }
        }
        return $out;
    }

    // ---- services ---------------------------------------------------------------------------

    /** A module command on a service (suspend, unsuspend, terminate) or a cancellation request. */
    public static function serviceEvent(int $serviceId, string $type, string $verb, string $discriminator): ?array
    {
        $svc = self::serviceBlock($serviceId);
        if ($svc === null) {
            return null;
        }
        [$block, $clientId] = $svc;
        $client = self::clientBlock($clientId);
        if ($client === null) {
            return null;
        }
        $disc = self::safe($discriminator);
        $event = self::envelope("whmcs:service:{$serviceId}:{$verb}" . ($disc === '' ? '' : ":{$disc}"), $type, self::now(), $client);
        $event['service'] = $block;
        return [$event, "service:{$serviceId}", $disc];
    }

    /** AfterProductUpgrade / AfterConfigOptionsUpgrade: tblupgrades holds what changed. */
    public static function serviceUpgraded(int $upgradeId): ?array
    {
        $up = Capsule::table('tblupgrades')->where('id', $upgradeId)->first();
        if ($up === null) {
            return null;
        }
        $serviceId = (int) $up->relid;
        $svc = self::serviceBlock($serviceId);
        if ($svc === null) {
            return null;
        }
        [$block, $clientId] = $svc;
        $client = self::clientBlock($clientId);
        if ($client === null || !isset($block['amount'])) {
            return null;
        }
        $digits = Money::digits($block['currency']);
        $now = Money::toMinor($block['amount'], $digits);
        $change = Money::toMinor($up->recurringchange ?? '0', $digits);
        if ($now - $change >= 0) {
            $block['previous_amount'] = Money::format($now - $change, $digits);
        }
        $event = self::envelope("whmcs:service:{$serviceId}:upgraded:{$upgradeId}", 'service.upgraded', self::date($up->date ?? null), $client);
        $event['service'] = $block;
        return [$event, "service:{$serviceId}", (string) $upgradeId];
    }

    /** @return array{0: array, 1: int}|null the service block and its client id */
    private static function serviceBlock(int $serviceId): ?array
    {
        $row = Capsule::table('tblhosting')->where('id', $serviceId)->first();
        if ($row === null) {
            return null;
        }
        $clientId = (int) $row->userid;
        $client = self::clientBlock($clientId);
        if ($client === null || !isset($client['currency'])) {
            return null;
        }
        $digits = Money::digits($client['currency']);
        $block = ['id' => (string) $serviceId] + self::serviceFields($serviceId);
        unset($block['service_id']);
        $block['currency'] = $client['currency'];
        $amount = Money::toMinor($row->amount ?? '0', $digits);
        if ($amount >= 0) {
            $block['amount'] = Money::format($amount, $digits);
        }
        return [$block, $clientId];
    }

    /** service_id, product_id, product_group (a slug of the group's name), billing_cycle. */
    private static function serviceFields(int $serviceId): array
    {
        $row = Capsule::table('tblhosting')->where('id', $serviceId)->first();
        if ($row === null) {
            return ['service_id' => (string) $serviceId];
        }
        $out = ['service_id' => (string) $serviceId, 'product_id' => (string) $row->packageid];
        $groupId = Capsule::table('tblproducts')->where('id', (int) $row->packageid)->value('gid');
        if ($groupId !== null) {
            $slug = self::slug((string) Capsule::table('tblproductgroups')->where('id', (int) $groupId)->value('name'));
            if ($slug !== '') {
                $out['product_group'] = $slug;
            }
        }
        $cycle = self::CYCLES[strtolower(trim((string) ($row->billingcycle ?? '')))] ?? null;
        if ($cycle !== null) {
            $out['billing_cycle'] = $cycle;
        }
        return $out;
    }

    // ---- clients ----------------------------------------------------------------------------

    public static function clientCreated(int $clientId): ?array
    {
        $client = self::clientBlock($clientId);
        if ($client === null) {
            return null;
        }
        $created = Capsule::table('tblclients')->where('id', $clientId)->value('datecreated');
        return [self::envelope("whmcs:client:{$clientId}:created", 'client.created', self::date($created), $client), "client:{$clientId}", 'created'];
    }

    /**
     * Each edit that changes what we send is one event; the same data again is a duplicate. The
     * discriminator is `<n>-<first seen>-<hash of the block>`: an edit back to an earlier state is a new event.
     */
    public static function clientUpdated(int $clientId): ?array
    {
        $client = self::clientBlock($clientId);
        if ($client === null) {
            return null;
        }
        $disc = Spool::updateDiscriminator("client:{$clientId}", 'client.updated', substr(hash('sha256', (string) json_encode($client)), 0, 16));
        return [self::envelope("whmcs:client:{$clientId}:updated:{$disc}", 'client.updated', self::now(), $client), "client:{$clientId}", $disc];
    }

    /** The contract's client block from GetClientsDetails (nested `client` or flattened). */
    public static function clientBlock(int $clientId): ?array
    {
        if ($clientId <= 0) {
            return null;
        }
        $res = Api::call('GetClientsDetails', ['clientid' => $clientId, 'stats' => false]);
        if ($res === null) {
            return null;
        }
        $c = is_array($res['client'] ?? null) ? $res['client'] + $res : $res;
        $out = ['id' => (string) $clientId];
        $email = trim((string) ($c['email'] ?? ''));
        // Only an address the contract takes: another would refuse the client's every event.
        if (strlen($email) <= 254 && preg_match(self::CONTRACT_EMAIL, $email) === 1) {
            $out['email'] = $email;
        }
        $name = trim((string) ($c['fullname'] ?? trim(($c['firstname'] ?? '') . ' ' . ($c['lastname'] ?? ''))));
        if ($name !== '') {
            $out['name'] = (string) preg_replace('/^(.{0,190}).*$/us', '$1', $name);
        }
        $lang = self::LANGUAGES[strtolower(trim((string) ($c['language'] ?? '')))] ?? null;
        if ($lang !== null) {
            $out['locale'] = $lang;
        }
        $currency = strtoupper(trim((string) ($c['currency_code'] ?? '')));
        if ($currency === '' && isset($c['currency'])) {
            $currency = strtoupper((string) (Capsule::table('tblcurrencies')->where('id', (int) $c['currency'])->value('code') ?? ''));
        }
        // Left out when not ISO 4217 (a currency of the installation's own): the client's other
        // events still go; its invoices are logged as not sent, having no currency to earn in.
        if (Money::known($currency)) {
            $out['currency'] = $currency;
        }
        $status = strtolower(trim((string) ($c['status'] ?? '')));
        if (in_array($status, ['active', 'inactive', 'closed'], true)) {
            $out['status'] = $status;
        }
        return $out;
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static function envelope(string $id, string $type, ?string $occurredAt, array $client): array
    {
        return ['id' => substr($id, 0, 128), 'type' => $type, 'occurred_at' => $occurredAt ?? self::now(), 'client' => $client];
    }

    /** A WHMCS date-time (server local time, or a DateTime) as RFC 3339; null for empty or zero dates. */
    public static function date(mixed $value): ?string
    {
        if ($value instanceof \DateTimeInterface) {
            return $value->format('Y-m-d\TH:i:sP');
        }
        $s = trim((string) $value);
        if ($s === '' || str_starts_with($s, '0000-00-00')) {
            return null;
        }
        try {
            return (new \DateTimeImmutable($s))->format('Y-m-d\TH:i:sP');
        } catch (\Exception) {
            return null;
        }
    }

    public static function now(): string
    {
        return (new \DateTimeImmutable('now'))->format('Y-m-d\TH:i:sP');
    }

    /** `2026-11-22T10:15:00+00:00` → `20261122T101500Z`: a discriminator in UTC. */
    private static function stamp(string $rfc3339): string
    {
        try {
            return (new \DateTimeImmutable($rfc3339))->setTimezone(new \DateTimeZone('UTC'))->format('Ymd\THis\Z');
        } catch (\Exception) {
            return self::safe($rfc3339);
        }
    }

    private static function safe(string $s): string
    {
        return substr((string) preg_replace('/[^A-Za-z0-9_-]+/', '-', $s), 0, 40);
    }

    private static function slug(string $name): string
    {
        return substr(trim((string) preg_replace('/[^a-z0-9]+/', '-', strtolower($name)), '-'), 0, 64);
    }
}
