{* Hosting Rewards: the client area page. All values are escaped by Smarty's |escape. *}
{if $error}
  <div class="alert alert-warning">{$error|escape}</div>
{elseif $mode eq 'iframe' && $rewards_url}
  <iframe src="{$rewards_url|escape}" title="{$lang.page_title|escape}" style="width:100%;min-height:900px;border:0" loading="eager"></iframe>
{else}
  <p>{$lang.intro|escape}</p>
  <p><a class="btn btn-primary" href="{$go_url|escape}">{$lang.open|escape}</a></p>
{/if}
