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
$_ADDONLANG['admin_check'] = 'Connection to the plugin';
$_ADDONLANG['admin_check_ok'] = 'it answers';
$_ADDONLANG['admin_check_degraded'] = 'it answers, but needs attention';
$_ADDONLANG['admin_check_down'] = 'no healthy answer: events wait in the spool';
$_ADDONLANG['admin_check_secrets'] = 'This checks the address only. The secrets are checked as they are used: a wrong webhook secret shows below as HTTP 401 on the next event; a wrong SSO secret makes the admin link and the Rewards tab answer 401.';
$_ADDONLANG['admin_tier_mode'] = 'Tier discount mode';
$_ADDONLANG['admin_tier_mode_note'] = 'must be the same as the plugin\'s tier_discount_method (Program settings in its admin area); both default to invoice_line';
