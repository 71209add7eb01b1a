<?php
$_ADDONLANG['nav_label'] = 'Ödüller';
$_ADDONLANG['page_title'] = 'Ödüller';
$_ADDONLANG['open'] = 'Ödülleri aç';
$_ADDONLANG['intro'] = 'Puanlarınız, seviyeniz ve ödülleriniz ödüller alanında açılır.';
$_ADDONLANG['unavailable'] = 'Ödüller şu anda kullanılamıyor. Lütfen daha sonra tekrar deneyin.';
$_ADDONLANG['admin_open'] = 'Ödüller yönetim alanını aç';
$_ADDONLANG['admin_spool'] = 'Gönderilmeyi bekleyen olaylar';
$_ADDONLANG['admin_none'] = 'Oturum açmış bir WHMCS yöneticisi yok.';
$_ADDONLANG['admin_failed'] = 'Başarısız';
