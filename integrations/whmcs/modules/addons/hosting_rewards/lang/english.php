<?php
$_ADDONLANG['nav_label'] = 'Rewards';
$_ADDONLANG['page_title'] = 'Rewards';
$_ADDONLANG['open'] = 'Open Rewards';
$_ADDONLANG['intro'] = 'Your points, tier and rewards open in the rewards area.';
$_ADDONLANG['unavailable'] = 'Rewards are not available right now. Please try again later.';
$_ADDONLANG['admin_open'] = 'Open the Rewards admin area';
$_ADDONLANG['admin_spool'] = 'Events waiting to be sent';
$_ADDONLANG['admin_none'] = 'No WHMCS admin is signed in.';
$_ADDONLANG['admin_failed'] = 'Failed';
