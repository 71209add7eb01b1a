<?php
/**
 * The addon's few strings. WHMCS loads lang/<language>.php into $_ADDONLANG for addon pages;
 * hooks get no language, so they load it here too. English fills any gap.
 */
function hosting_rewards_lang(?string $language): array
{
    $load = static function (string $name): array {
        $file = __DIR__ . '/lang/' . $name . '.php';
        if (!preg_match('/^[a-z-]+$/', $name) || !is_file($file)) {
            return [];
        }
        $_ADDONLANG = [];
        include $file;
        return $_ADDONLANG;
    };
    return $load(strtolower((string) $language)) + $load('english');
}
