<?php

namespace HostingRewards;

/** WHMCS's local API, as the hooks use it: an error is logged and read as "nothing". */
final class Api
{
    public static function call(string $command, array $params): ?array
    {
        $res = localAPI($command, $params);
        if (!is_array($res) || ($res['result'] ?? '') !== 'success') {
            $why = is_array($res) ? (string) ($res['message'] ?? 'no message') : 'no answer';
            logActivity("Hosting Rewards: {$command} failed: {$why}");
            return null;
        }
        return $res;
    }

    /**
     * WHMCS lists come as `{"item": [..]}`, as `{"item": {..}}` when there is one, as a plain
     * list, or as an empty string when there is none.
     *
     * @return list<array>
     */
    public static function listOf(mixed $value, string $key): array
    {
        if (!is_array($value)) {
            return [];
        }
        $inner = array_key_exists($key, $value) ? $value[$key] : $value;
        if (!is_array($inner) || $inner === []) {
            return [];
        }
        if (!array_is_list($inner)) {
            return [$inner];
        }
        return array_values(array_filter($inner, 'is_array'));
    }
}
