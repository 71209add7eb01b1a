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
    /**
     * The ISO 4217 codes the event contract takes (the sidecar's plugin/domain/money.ts; a test
     * keeps the two lists equal). A WHMCS currency of its own (RMB, BTC …) is none of them.
     */
    private const KNOWN = 'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG';

    public static function known(string $currency): bool
    {
        return preg_match('/^[A-Z]{3}$/', $currency) === 1 && str_contains(' ' . self::KNOWN . ' ', " {$currency} ");
    }

    public static function digits(string $currency): int
    {
        $c = strtoupper($currency);
        if (in_array($c, self::ZERO_DECIMAL, true)) {
            return 0;
        }
        return in_array($c, self::THREE_DECIMAL, true) ? 3 : 2;
    }

    /**
     * A decimal (string, int or float as WHMCS hands it over) in minor units, rounded half up;
     * an empty value is 0. Anything else (`1,234.56`) throws: sent as 0, it would earn nothing,
     * silently.
     */
    public static function toMinor(mixed $amount, int $digits): int
    {
        $text = is_float($amount) ? number_format($amount, 6, '.', '') : trim((string) $amount);
        if ($text === '') {
            return 0;
        }
        if (!preg_match('/^(-?)(\d*)(?:\.(\d*))?$/', $text, $m) || ($m[2] === '' && ($m[3] ?? '') === '')) {
            throw new \InvalidArgumentException("amount " . json_encode($text) . " is not a decimal such as 12.50");
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
