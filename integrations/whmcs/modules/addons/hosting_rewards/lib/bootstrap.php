<?php
// No Composer in WHMCS addons: the module's few classes, loaded once.
foreach (['Signing', 'Settings', 'Money', 'Api', 'Events', 'Spool', 'Sso'] as $hostingRewardsClass) {
    require_once __DIR__ . '/' . $hostingRewardsClass . '.php';
}
unset($hostingRewardsClass);
