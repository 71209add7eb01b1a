<?php

namespace HostingRewards;

/**
 * WHMCS keeps amounts as decimal strings with two places whatever the currency; the event
 * contract wants the currency's own number of places (ISO 4217). Arithmetic is done in
 * integer minor units, never in floats.
 */
final class Money
{
    private const ZERO_DECIMAL = ['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'];
    private const THREE_DECIMAL = ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'];

    public static function digits(string $currency): int
    {
        $c = strtoupper($currency);
        if (in_array($c, self::ZERO_DECIMAL, true)) {
            return 0;
        }
        return in_array($c, self::THREE_DECIMAL, true) ? 3 : 2;
    }

    /** A decimal (string, int or float as WHMCS hands it over) in minor units, rounded half up. */
    public static function toMinor(mixed $amount, int $digits): int
    {
        $text = is_float($amount) ? number_format($amount, 6, '.', '') : trim((string) $amount);
        if (!preg_match('/^(-?)(\d*)(?:\.(\d*))?$/', $text, $m) || ($m[2] === '' && ($m[3] ?? '') === '')) {
            return 0;
        }
        $negative = $m[1] === '-';
        $whole = $m[2] === '' ? '0' : $m[2];
        $fraction = $m[3] ?? '';
        $kept = str_pad(substr($fraction, 0, $digits), $digits, '0');
        $minor = (int) ($whole . $kept);
        $next = $fraction[$digits] ?? '0';
        if ($next >= '5') {
            $minor += 1;
        }
        return $negative ? -$minor : $minor;
    }

    public static function format(int $minor, int $digits): string
    {
        $negative = $minor < 0;
        $abs = (string) abs($minor);
        if ($digits > 0) {
            $abs = str_pad($abs, $digits + 1, '0', STR_PAD_LEFT);
            $abs = substr($abs, 0, -$digits) . '.' . substr($abs, -$digits);
        }
        return ($negative ? '-' : '') . $abs;
    }
}
