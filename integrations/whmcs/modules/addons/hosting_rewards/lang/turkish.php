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
$_ADDONLANG['admin_check'] = 'Eklentiyle bağlantı';
$_ADDONLANG['admin_check_ok'] = 'yanıt veriyor';
$_ADDONLANG['admin_check_degraded'] = 'yanıt veriyor, ancak ilgilenilmesi gerekiyor';
$_ADDONLANG['admin_check_down'] = 'sağlıklı yanıt yok: olaylar kuyrukta bekliyor';
$_ADDONLANG['admin_check_secrets'] = 'Yalnızca adres denetlenir. Gizli anahtarlar kullanıldıkça denetlenir: yanlış webhook anahtarı bir sonraki olayda aşağıda HTTP 401 olarak görünür; yanlış SSO anahtarında yönetim bağlantısı ve Ödüller sekmesi 401 yanıtı verir.';
$_ADDONLANG['admin_tier_mode'] = 'Seviye indirimi yöntemi';
$_ADDONLANG['admin_tier_mode_note'] = 'eklentinin tier_discount_method ayarıyla aynı olmalıdır (yönetim alanında Program ayarları); ikisinin de varsayılanı invoice_line';
