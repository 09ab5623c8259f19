<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AccountPage</name>
    <message>
        <source>The first account</source>
        <translation>第一个账号</translation>
    </message>
    <message>
        <source>Your own mailbox. It also receives mail for postmaster and abuse.</source>
        <translation>你自己的信箱。它也会收到寄给 postmaster 和 abuse 的信。</translation>
    </message>
    <message>
        <source>&amp;Address:</source>
        <translation>地址(&amp;A):</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>密码(&amp;P):</translation>
    </message>
    <message>
        <source>&amp;Again:</source>
        <translation>再输入一次(&amp;A):</translation>
    </message>
    <message>
        <source>empty: keep the current password</source>
        <translation>留空：保留目前的密码</translation>
    </message>
    <message>
        <source>the passwords differ</source>
        <translation>两次输入的密码不同</translation>
    </message>
</context>
<context>
    <name>AccountsPage</name>
    <message>
        <source>Delete account</source>
        <translation>删除账号</translation>
    </message>
    <message>
        <source>Delete {0}? It no longer receives mail or logs in.</source>
        <translation>删除 {0}？删除后它不再收信，也不能登录。</translation>
    </message>
    <message>
        <source>Its mailbox holds {0} messages ({1}).</source>
        <translation>它的信箱里有 {0} 封信（{1}）。</translation>
    </message>
    <message>
        <source>Delete, &amp;keep the mail</source>
        <translation>删除，保留信件(&amp;K)</translation>
    </message>
    <message>
        <source>Delete with the &amp;mail</source>
        <translation>连同信件删除(&amp;M)</translation>
    </message>
    <message>
        <source>Deleted {0} and its mail.</source>
        <translation>已删除 {0} 及其信件。</translation>
    </message>
    <message>
        <source>Deleted {0}; its mail stays on disk.</source>
        <translation>已删除 {0}；它的信件留在磁盘上。</translation>
    </message>
</context>
<context>
    <name>AcmeDialog</name>
    <message>
        <source>Get a certificate from Let&apos;s Encrypt</source>
        <translation>从 Let&apos;s Encrypt 获取证书</translation>
    </message>
    <message>
        <source>Let&apos;s Encrypt checks that %1 reaches this server: port 80 opens for the few seconds of the check (forward it on the router to this box). Where that cannot work, use the command line: mailroom tls acme issue --dns.</source>
        <translation>Let&apos;s Encrypt 会检查 %1 是否能连到本服务器：检查的几秒钟内会打开端口 80（请在路由器上把它转发到这台主机）。如果行不通，请使用命令行：mailroom tls acme issue --dns。</translation>
    </message>
    <message>
        <source>for expiry notices, e.g. postmaster@…</source>
        <translation>用于到期通知，例如 postmaster@…</translation>
    </message>
    <message>
        <source>other names, separated by commas (optional)</source>
        <translation>其他名称，用逗号分隔（可选）</translation>
    </message>
    <message>
        <source>&amp;E-mail:</source>
        <translation>电子邮件(&amp;E):</translation>
    </message>
    <message>
        <source>&amp;Other names:</source>
        <translation>其他名称(&amp;O):</translation>
    </message>
    <message>
        <source>&amp;Get certificate</source>
        <translation>获取证书(&amp;G)</translation>
    </message>
</context>
<context>
    <name>CertificatesPage</name>
    <message>
        <source>Certificate in use</source>
        <translation>正在使用的证书</translation>
    </message>
    <message>
        <source>Names:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Issued by:</source>
        <translation>颁发者：</translation>
    </message>
    <message>
        <source>Valid:</source>
        <translation>有效期：</translation>
    </message>
    <message>
        <source>Key:</source>
        <translation>密钥：</translation>
    </message>
    <message>
        <source>SHA-256 fingerprint:</source>
        <translation>SHA-256 指纹：</translation>
    </message>
    <message>
        <source>Renewal:</source>
        <translation>续期：</translation>
    </message>
    <message>
        <source>&amp;Import…</source>
        <translation>导入(&amp;I)…</translation>
    </message>
    <message>
        <source>Use a certificate and key you have as files</source>
        <translation>使用你已有的证书和密钥文件</translation>
    </message>
    <message>
        <source>Get from &amp;Let&apos;s Encrypt…</source>
        <translation>从 &amp;Let&apos;s Encrypt 获取…</translation>
    </message>
    <message>
        <source>A free certificate every mail program trusts, renewed by the server itself</source>
        <translation>所有邮件程序都信任的免费证书，由服务器自动续期</translation>
    </message>
    <message>
        <source>&amp;Renew now</source>
        <translation>立即续期(&amp;R)</translation>
    </message>
    <message>
        <source>Renew the Let&apos;s Encrypt certificate now (it renews itself 30 days before expiry)</source>
        <translation>立即续期 Let&apos;s Encrypt 证书（它会在到期前 30 天自动续期）</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>itself (self-signed)</source>
        <translation>自己（自签名）</translation>
    </message>
    <message>
        <source>EXPIRED</source>
        <translation>已过期</translation>
    </message>
    <message>
        <source>%1 days left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>automatic, from %1, on %2</source>
        <translation>自动，来自 %1，于 %2</translation>
    </message>
    <message>
        <source>by hand (not from Let&apos;s Encrypt)</source>
        <translation>手动（并非来自 Let&apos;s Encrypt）</translation>
    </message>
    <message>
        <source>Note: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking and installing the certificate…</source>
        <translation>正在检查并安装证书…</translation>
    </message>
    <message>
        <source>Certificate imported and in use.</source>
        <translation>证书已导入并在使用中。</translation>
    </message>
    <message>
        <source>Asking Let&apos;s Encrypt… (port 80 is open for the check)</source>
        <translation>正在询问 Let&apos;s Encrypt…（端口 80 已为检查打开）</translation>
    </message>
    <message>
        <source>New certificate in use; it renews itself.</source>
        <translation>新证书已在使用中；它会自动续期。</translation>
    </message>
    <message>
        <source>Renewing…</source>
        <translation>正在续期…</translation>
    </message>
    <message>
        <source>Certificate renewed and in use.</source>
        <translation>证书已续期并在使用中。</translation>
    </message>
</context>
<context>
    <name>CommandsDialog</name>
    <message>
        <source>Commands to run</source>
        <translation>要执行的命令</translation>
    </message>
    <message>
        <source>&amp;Run these commands</source>
        <translation>执行这些命令(&amp;R)</translation>
    </message>
</context>
<context>
    <name>DashboardPage</name>
    <message>
        <source>● running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● failed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DoctorPage</name>
    <message>
        <source>✓ ok</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>! warning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✗ failing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>– not checked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outbound mail</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reverse DNS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TLS certificate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disk space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mail queue</source>
        <translation>邮件队列</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What most often stops a small office&apos;s mail: a blocked port 25, reverse DNS, an expiring certificate, a full disk, mail stuck in the queue, old backups, a wrong clock.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Result</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What was found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How to fix</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Diagnostics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not run yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Run checks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run every check now (takes a few seconds)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 ok, %2 warnings, %3 failing, %4 not checked</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FinishPage</name>
    <message>
        <source>Setting up Mailroom</source>
        <translation>正在设置 Mailroom</translation>
    </message>
    <message>
        <source>Writing the configuration and starting the mail server.</source>
        <translation>正在写入设置并启动邮件服务器。</translation>
    </message>
    <message>
        <source>Publish these DNS records at your DNS provider:</source>
        <translation>请在你的 DNS 服务商处发布这些 DNS 记录：</translation>
    </message>
    <message>
        <source>&amp;Copy records</source>
        <translation>复制记录(&amp;C)</translation>
    </message>
    <message>
        <source>{problem}
Go back, correct it and try again.</source>
        <translation>{problem}
请返回，更正后再试一次。</translation>
    </message>
    <message>
        <source>Mailroom is running. One last thing: DNS.</source>
        <translation>Mailroom 正在运行。最后一件事：DNS。</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <source>Import a certificate</source>
        <translation>导入证书</translation>
    </message>
    <message>
        <source>The certificate (PEM, the server&apos;s own first) and its private key. Both are checked before anything changes: the key must belong to the certificate, the chain must be in order, the names must cover this server&apos;s host name.</source>
        <translation>证书（PEM，服务器自己的证书在前）及其私钥。在做任何更改之前都会检查两者：私钥必须属于该证书，证书链顺序必须正确，名称必须涵盖本服务器的主机名称。</translation>
    </message>
    <message>
        <source>Certificate file</source>
        <translation>证书文件</translation>
    </message>
    <message>
        <source>Private key file</source>
        <translation>私钥文件</translation>
    </message>
    <message>
        <source>Chain file (optional)</source>
        <translation>证书链文件（可选）</translation>
    </message>
    <message>
        <source>&amp;Certificate:</source>
        <translation>证书(&amp;C):</translation>
    </message>
    <message>
        <source>&amp;Key:</source>
        <translation>密钥(&amp;K):</translation>
    </message>
    <message>
        <source>C&amp;hain (optional):</source>
        <translation>证书链（可选）(&amp;H):</translation>
    </message>
    <message>
        <source>&amp;Import</source>
        <translation>导入(&amp;I)</translation>
    </message>
    <message>
        <source>Choose the %s.</source>
        <translation>请选择%s。</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
</context>
<context>
    <name>Language</name>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Mailroom shows {language} the next time it is opened.</source>
        <translation>Mailroom 下次打开时显示{language}。</translation>
    </message>
</context>
<context>
    <name>LogsPage</name>
    <message>
        <source>account added: {address}</source>
        <translation>已添加账号：{address}</translation>
    </message>
    <message>
        <source>account deleted: {address}</source>
        <translation>已删除账号：{address}</translation>
    </message>
    <message>
        <source>account disabled: {address}</source>
        <translation>已停用账号：{address}</translation>
    </message>
    <message>
        <source>account enabled: {address}</source>
        <translation>已启用账号：{address}</translation>
    </message>
    <message>
        <source>password changed: {address}</source>
        <translation>已更改密码：{address}</translation>
    </message>
    <message>
        <source>quota changed: {address}</source>
        <translation>已更改容量：{address}</translation>
    </message>
    <message>
        <source>alias set: {address}</source>
        <translation>已设置别名：{address}</translation>
    </message>
    <message>
        <source>alias deleted: {address}</source>
        <translation>已删除别名：{address}</translation>
    </message>
    <message>
        <source>aliases imported</source>
        <translation>已导入别名</translation>
    </message>
    <message>
        <source>domain added: {name}</source>
        <translation>已添加网域：{name}</translation>
    </message>
    <message>
        <source>domain deleted: {name}</source>
        <translation>已删除网域：{name}</translation>
    </message>
    <message>
        <source>domain changed: {name}</source>
        <translation>已更改网域：{name}</translation>
    </message>
    <message>
        <source>forwarding set: {address}</source>
        <translation>已设置转发：{address}</translation>
    </message>
    <message>
        <source>forwarding removed: {address}</source>
        <translation>已取消转发：{address}</translation>
    </message>
    <message>
        <source>relay network added: {network}</source>
        <translation>已添加中继网络：{network}</translation>
    </message>
    <message>
        <source>relay network removed: {network}</source>
        <translation>已删除中继网络：{network}</translation>
    </message>
    <message>
        <source>relay networks set: {networks}</source>
        <translation>已设置中继网络：{networks}</translation>
    </message>
    <message>
        <source>settings changed: {key}</source>
        <translation>设置已更改：{key}</translation>
    </message>
    <message>
        <source>settings changed: {values}</source>
        <translation>设置已更改：{values}</translation>
    </message>
    <message>
        <source>queued message deleted: {id}</source>
        <translation>已删除队列中的信件：{id}</translation>
    </message>
    <message>
        <source>queued message held: {id}</source>
        <translation>已暂停队列中的信件：{id}</translation>
    </message>
    <message>
        <source>queued message released: {id}</source>
        <translation>已放行队列中的信件：{id}</translation>
    </message>
    <message>
        <source>queued message retried: {id}</source>
        <translation>已重试队列中的信件：{id}</translation>
    </message>
    <message>
        <source>queued message bounced: {id}</source>
        <translation>已退回队列中的信件：{id}</translation>
    </message>
    <message>
        <source>whole queue retried</source>
        <translation>已重试整个邮件队列</translation>
    </message>
    <message>
        <source>address banned: {address}</source>
        <translation>已封锁地址：{address}</translation>
    </message>
    <message>
        <source>ban lifted: {address}</source>
        <translation>已解除封锁：{address}</translation>
    </message>
    <message>
        <source>DKIM keys rotated: {domain}</source>
        <translation>已轮换 DKIM 密钥：{domain}</translation>
    </message>
    <message>
        <source>message submitted by {sender}</source>
        <translation>{sender} 提交了一封信</translation>
    </message>
    <message>
        <source>settings applied (reload)</source>
        <translation>设置已生效（重新加载）</translation>
    </message>
    <message>
        <source>incoming mail paused: {paused}</source>
        <translation>暂停接收邮件：{paused}</translation>
    </message>
    <message>
        <source>certificate imported</source>
        <translation>已导入证书</translation>
    </message>
    <message>
        <source>data directory set up: {domain}</source>
        <translation>已建立数据目录：{domain}</translation>
    </message>
    <message>
        <source>ISP relay tested: {recipient}</source>
        <translation>已测试 ISP 中继：{recipient}</translation>
    </message>
    <message>
        <source>Logs</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>text</source>
        <translation>文字</translation>
    </message>
    <message>
        <source>all services</source>
        <translation>所有服务</translation>
    </message>
    <message>
        <source>queue ID</source>
        <translation>队列 ID</translation>
    </message>
    <message>
        <source>Fil&amp;ter:</source>
        <translation>筛选(&amp;T):</translation>
    </message>
    <message>
        <source>S&amp;ervice:</source>
        <translation>服务(&amp;E):</translation>
    </message>
    <message>
        <source>&amp;Queue ID:</source>
        <translation>队列 ID(&amp;Q):</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>暂停(&amp;P)</translation>
    </message>
    <message>
        <source>F&amp;ollow</source>
        <translation>跟随(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Copy shown</source>
        <translation>复制显示的行(&amp;C)</translation>
    </message>
    <message>
        <source>Copy the selected lines, or the last 5,000 shown</source>
        <translation>复制选中的行，或最后显示的 5,000 行</translation>
    </message>
    <message>
        <source>Sa&amp;ve to file…</source>
        <translation>保存到文件(&amp;V)…</translation>
    </message>
    <message>
        <source>Save the lines shown now to a text file</source>
        <translation>把现在显示的行保存到文本文件</translation>
    </message>
    <message>
        <source>Log lines</source>
        <translation>日志行</translation>
    </message>
    <message>
        <source>Select a line to read it whole here.</source>
        <translation>选中一行，在这里阅读完整内容。</translation>
    </message>
    <message>
        <source>Selected lines</source>
        <translation>选中的行</translation>
    </message>
    <message>
        <source>{shown} of {total} lines shown</source>
        <translation>显示 {shown} 行，共 {total} 行</translation>
    </message>
    <message>
        <source>(paused: new lines wait)</source>
        <translation>（已暂停：新的行在等待）</translation>
    </message>
    <message>
        <source>Save log lines</source>
        <translation>保存日志行</translation>
    </message>
    <message>
        <source>Text files (*.txt *.log);;All files (*)</source>
        <translation>文本文件 (*.txt *.log);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Not saved: {reason}</source>
        <translation>未保存：{reason}</translation>
    </message>
    <message>
        <source>{n} line saved to {path}.</source>
        <translation>已把 {n} 行保存到 {path}。</translation>
    </message>
    <message>
        <source>{n} lines saved to {path}.</source>
        <translation>已把 {n} 行保存到 {path}。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <source>The page “{0}” has changes that are not saved.</source>
        <translation>页面“{0}”有尚未保存的更改。</translation>
    </message>
    <message>
        <source>Save them, throw them away, or stay on the page?</source>
        <translation>保存、放弃，还是留在此页面？</translation>
    </message>
    <message>
        <source>Running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Degraded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>NamesPage</name>
    <message>
        <source>Your mail server&apos;s names</source>
        <translation>邮件服务器的名称</translation>
    </message>
    <message>
        <source>The name other servers know this machine by, and the domain your addresses end in (alice@&lt;b&gt;domain&lt;/b&gt;).</source>
        <translation>其他服务器认识这台主机的名称，以及你的邮件地址结尾的网域（alice@&lt;b&gt;网域&lt;/b&gt;）。</translation>
    </message>
    <message>
        <source>e.g. {example}</source>
        <translation>例如 {example}</translation>
    </message>
    <message>
        <source>&amp;Host name:</source>
        <translation>主机名称(&amp;H):</translation>
    </message>
    <message>
        <source>Mail &amp;domain:</source>
        <translation>邮件网域(&amp;D):</translation>
    </message>
    <message>
        <source>The host name needs an A record pointing at this server; the domain gets an MX record naming the host. The last page shows both.</source>
        <translation>主机名称需要一条指向本服务器的 A 记录；网域需要一条指明该主机的 MX 记录。最后一页会列出这两条记录。</translation>
    </message>
</context>
<context>
    <name>Page</name>
    <message>
        <source>Re&amp;vert</source>
        <translation>还原(&amp;V)</translation>
    </message>
    <message>
        <source>Throw away the changes on this page</source>
        <translation>放弃此页面上的更改</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <source>Save the changes on this page (Ctrl+S)</source>
        <translation>保存此页面上的更改（Ctrl+S）</translation>
    </message>
    <message>
        <source>Not saved: </source>
        <translation>未保存：</translation>
    </message>
</context>
<context>
    <name>PortsPage</name>
    <message>
        <source>SMTP (incoming mail, MX)</source>
        <translation>SMTP（收信，MX）</translation>
    </message>
    <message>
        <source>STARTTLS</source>
        <translation>STARTTLS</translation>
    </message>
    <message>
        <source>Submission (mail programs send)</source>
        <translation>Submission（邮件程序寄信）</translation>
    </message>
    <message>
        <source>STARTTLS, login required</source>
        <translation>STARTTLS，须登录</translation>
    </message>
    <message>
        <source>SMTPS (mail programs send)</source>
        <translation>SMTPS（邮件程序寄信）</translation>
    </message>
    <message>
        <source>implicit TLS, login required</source>
        <translation>隐式 TLS，须登录</translation>
    </message>
    <message>
        <source>POP3</source>
        <translation>POP3</translation>
    </message>
    <message>
        <source>POP3S</source>
        <translation>POP3S</translation>
    </message>
    <message>
        <source>implicit TLS</source>
        <translation>隐式 TLS</translation>
    </message>
    <message>
        <source>IMAP</source>
        <translation>IMAP</translation>
    </message>
    <message>
        <source>IMAPS</source>
        <translation>IMAPS</translation>
    </message>
    <message>
        <source>open</source>
        <translation>开放</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>only some addresses</source>
        <translation>仅部分地址</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Services</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>On</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>Security</source>
        <translation>安全</translation>
    </message>
    <message>
        <source>Now</source>
        <translation>现在</translation>
    </message>
    <message>
        <source>Firewall</source>
        <translation>防火墙</translation>
    </message>
    <message>
        <source>%s enabled</source>
        <translation>启用 %s</translation>
    </message>
    <message>
        <source>%s port</source>
        <translation>%s 端口</translation>
    </message>
    <message>
        <source>%s in the firewall</source>
        <translation>防火墙中的 %s</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Let %s in through the firewall (shows the commands first)</source>
        <translation>让 %s 通过防火墙（先显示命令）</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Shut %s in the firewall (shows the commands first)</source>
        <translation>在防火墙中关闭 %s（先显示命令）</translation>
    </message>
    <message>
        <source>Firewall: checking…</source>
        <translation>防火墙：正在检查…</translation>
    </message>
    <message>
        <source>Addresses</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>&amp;Listen on (IP addresses, comma separated):</source>
        <translation>监听地址（IP 地址，用逗号分隔）(&amp;L):</translation>
    </message>
    <message>
        <source>Changes are applied at once by a reload of the running daemon: only listeners whose port or address changed restart; mail in progress is not dropped. After changing a port, open the new one in the firewall.</source>
        <translation>更改会通过重新加载正在运行的服务立即生效：只有端口或地址改变的监听程序会重新启动；正在处理的邮件不会丢失。更改端口后，请在防火墙中打开新端口。</translation>
    </message>
    <message>
        <source>Saved, but not applied: %s</source>
        <translation>已保存，但未生效：%s</translation>
    </message>
    <message>
        <source>Saved and applied.</source>
        <translation>已保存并生效。</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <source>not running</source>
        <translation>未运行</translation>
    </message>
    <message>
        <source>daemon %s</source>
        <translation>服务 %s</translation>
    </message>
    <message>
        <source>%s on %s</source>
        <translation>%s，在 %s</translation>
    </message>
    <message>
        <source>Firewall: cannot tell (%s)</source>
        <translation>防火墙：无法判断（%s）</translation>
    </message>
    <message>
        <source>Firewall: %s</source>
        <translation>防火墙：%s</translation>
    </message>
    <message>
        <source>(service off)</source>
        <translation>（服务已关闭）</translation>
    </message>
    <message>
        <source>(port %d)</source>
        <translation>（端口 %d）</translation>
    </message>
    <message>
        <source>Open %s in the firewall</source>
        <translation>在防火墙中打开 %s</translation>
    </message>
    <message>
        <source>Close %s in the firewall</source>
        <translation>在防火墙中关闭 %s</translation>
    </message>
    <message>
        <source>Mailroom will run these commands on %s (%s):</source>
        <translation>Mailroom 将在 %s（%s）上执行这些命令：</translation>
    </message>
    <message>
        <source>Nothing changed.</source>
        <translation>没有任何更改。</translation>
    </message>
    <message>
        <source>Opened %s in the firewall.</source>
        <translation>已在防火墙中打开 %s。</translation>
    </message>
    <message>
        <source>Closed %s in the firewall.</source>
        <translation>已在防火墙中关闭 %s。</translation>
    </message>
</context>
<context>
    <name>QueuePage</name>
    <message>
        <source>Queue ID</source>
        <translation>队列 ID</translation>
    </message>
    <message>
        <source>Arrival</source>
        <translation>到达时间</translation>
    </message>
    <message>
        <source>Sender</source>
        <translation>寄件者</translation>
    </message>
    <message>
        <source>Recipients</source>
        <translation>收件者</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>尝试次数</translation>
    </message>
    <message>
        <source>Next try</source>
        <translation>下次尝试</translation>
    </message>
    <message>
        <source>Last error</source>
        <translation>最近错误</translation>
    </message>
    <message>
        <source>Mail queue</source>
        <translation>邮件队列</translation>
    </message>
    <message>
        <source>&amp;Search:</source>
        <translation>搜索(&amp;S):</translation>
    </message>
    <message>
        <source>sender, recipient or queue ID</source>
        <translation>寄件者、收件者或队列 ID</translation>
    </message>
    <message>
        <source>S&amp;how</source>
        <translation>显示(&amp;H)</translation>
    </message>
    <message>
        <source>Show the message (Enter)</source>
        <translation>显示这封信（Enter）</translation>
    </message>
    <message>
        <source>Retry &amp;now</source>
        <translation>立即重试(&amp;N)</translation>
    </message>
    <message>
        <source>Try to deliver the selected messages now</source>
        <translation>立即尝试递送选中的信件</translation>
    </message>
    <message>
        <source>H&amp;old</source>
        <translation>暂停(&amp;O)</translation>
    </message>
    <message>
        <source>Keep the selected messages without trying</source>
        <translation>保留选中的信件，暂不递送</translation>
    </message>
    <message>
        <source>Rel&amp;ease</source>
        <translation>放行(&amp;E)</translation>
    </message>
    <message>
        <source>Put held messages back in the queue</source>
        <translation>把暂停的信件放回邮件队列</translation>
    </message>
    <message>
        <source>&amp;Bounce…</source>
        <translation>退信(&amp;B)…</translation>
    </message>
    <message>
        <source>Give up and tell each sender</source>
        <translation>放弃递送并通知寄件者</translation>
    </message>
    <message>
        <source>Dele&amp;te…</source>
        <translation>删除(&amp;T)…</translation>
    </message>
    <message>
        <source>Delete without telling anyone (Del)</source>
        <translation>删除，不通知任何人（Del）</translation>
    </message>
    <message>
        <source>Retry &amp;all</source>
        <translation>全部重试(&amp;A)</translation>
    </message>
    <message>
        <source>Retry every deferred message now</source>
        <translation>立即重试所有延迟的信件</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>Read the queue again (F5)</source>
        <translation>重新读取邮件队列（F5）</translation>
    </message>
    <message>
        <source>Queued messages</source>
        <translation>队列中的信件</translation>
    </message>
    <message>
        <source>Select a message and press Show to see it here.</source>
        <translation>选中一封信并按“显示”，内容会显示在这里。</translation>
    </message>
    <message>
        <source>The log lines about the selected message.</source>
        <translation>与选中信件有关的日志行。</translation>
    </message>
    <message>
        <source>Log lines</source>
        <translation>日志行</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>信件</translation>
    </message>
    <message>
        <source>{n} bytes</source>
        <translation>{n} 字节</translation>
    </message>
    <message>
        <source>{n} KB</source>
        <translation>{n} KB</translation>
    </message>
    <message>
        <source>{n} message, {held} held, {size}</source>
        <translation>{n} 封信，{held} 封暂停，{size}</translation>
    </message>
    <message>
        <source>{n} messages, {held} held, {size}</source>
        <translation>{n} 封信，{held} 封暂停，{size}</translation>
    </message>
    <message>
        <source>{shown} shown of {text}</source>
        <translation>显示 {shown} 封，共 {text}</translation>
    </message>
    <message>
        <source>Queue ID: {id} ({queue})</source>
        <translation>队列 ID：{id}（{queue}）</translation>
    </message>
    <message>
        <source>Sender: &lt;{sender}&gt;</source>
        <translation>寄件者：&lt;{sender}&gt;</translation>
    </message>
    <message>
        <source>Recipient: &lt;{address}&gt; {state} {reply}</source>
        <translation>收件者：&lt;{address}&gt; {state} {reply}</translation>
    </message>
    <message>
        <source>No log lines name {id}.</source>
        <translation>没有提到 {id} 的日志行。</translation>
    </message>
    <message>
        <source>Bounce messages</source>
        <translation>退信</translation>
    </message>
    <message>
        <source>Return {n} message to the sender as undeliverable: {ids}?</source>
        <translation>把 {n} 封信作为无法递送退回寄件者：{ids}？</translation>
    </message>
    <message>
        <source>Return {n} messages to their senders as undeliverable: {ids}?</source>
        <translation>把 {n} 封信作为无法递送退回寄件者：{ids}？</translation>
    </message>
    <message>
        <source>Delete messages</source>
        <translation>删除信件</translation>
    </message>
    <message>
        <source>Delete {n} message; nobody is told: {ids}?</source>
        <translation>删除 {n} 封信，不通知任何人：{ids}？</translation>
    </message>
    <message>
        <source>Delete {n} messages; nobody is told: {ids}?</source>
        <translation>删除 {n} 封信，不通知任何人：{ids}？</translation>
    </message>
    <message>
        <source>{n} message will be retried now.</source>
        <translation>{n} 封信将立即重试。</translation>
    </message>
    <message>
        <source>{n} messages will be retried now.</source>
        <translation>{n} 封信将立即重试。</translation>
    </message>
    <message>
        <source>{n} message held.</source>
        <translation>已暂停 {n} 封信。</translation>
    </message>
    <message>
        <source>{n} messages held.</source>
        <translation>已暂停 {n} 封信。</translation>
    </message>
    <message>
        <source>{n} message released.</source>
        <translation>已放行 {n} 封信。</translation>
    </message>
    <message>
        <source>{n} messages released.</source>
        <translation>已放行 {n} 封信。</translation>
    </message>
    <message>
        <source>{n} message returned to the sender.</source>
        <translation>已把 {n} 封信退回寄件者。</translation>
    </message>
    <message>
        <source>{n} messages returned to their senders.</source>
        <translation>已把 {n} 封信退回寄件者。</translation>
    </message>
    <message>
        <source>{n} message deleted.</source>
        <translation>已删除 {n} 封信。</translation>
    </message>
    <message>
        <source>{n} messages deleted.</source>
        <translation>已删除 {n} 封信。</translation>
    </message>
    <message>
        <source>Not done: {list}</source>
        <translation>未完成：{list}</translation>
    </message>
    <message>
        <source>Every deferred message will be retried now.</source>
        <translation>所有延迟的信件将立即重试。</translation>
    </message>
</context>
<context>
    <name>RelayPage</name>
    <message>
        <source>Who may send mail out</source>
        <translation>谁可以向外寄信</translation>
    </message>
    <message>
        <source>Computers on the ticked networks may send mail to anyone through this server without logging in. Everyone else logs in (port 587).</source>
        <translation>勾选网络中的电脑无需登录即可通过本服务器寄信给任何人。其他人须先登录（端口 587）。</translation>
    </message>
    <message>
        <source>Relay networks</source>
        <translation>中继网络</translation>
    </message>
    <message>
        <source>more networks, e.g. 10.1.0.0/16, !10.1.0.1 to exclude one</source>
        <translation>更多网络，例如 10.1.0.0/16；用 !10.1.0.1 排除一个地址</translation>
    </message>
    <message>
        <source>&amp;Other networks:</source>
        <translation>其他网络(&amp;O):</translation>
    </message>
    <message>
        <source>this machine</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>excluded</source>
        <translation>已排除</translation>
    </message>
    <message>
        <source>relays now</source>
        <translation>目前可中继</translation>
    </message>
    <message>
        <source>local network</source>
        <translation>局域网</translation>
    </message>
    <message>
        <source>Your router ({routers}) is inside a network that may relay. Behind the router&apos;s NAT or port forwarding, connections from the Internet can seem to come from the router, and anyone could then send mail through this server.</source>
        <translation>你的路由器（{routers}）位于可以中继的网络内。在路由器的 NAT 或端口转发之后，来自互联网的连接看起来可能来自路由器，这样任何人都能通过本服务器寄信。</translation>
    </message>
    <message>
        <source>E&amp;xclude the router ({excluded})</source>
        <translation>排除路由器(&amp;X)（{excluded}）</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>Saved and applied.</source>
        <translation>已保存并生效。</translation>
    </message>
    <message>
        <source>Saved; the daemon uses it when it starts.</source>
        <translation>已保存；服务启动时会使用它。</translation>
    </message>
</context>
<context>
    <name>SetupWizard</name>
    <message>
        <source>Set up Mailroom</source>
        <translation>设置 Mailroom</translation>
    </message>
    <message>
        <source>Mailroom set-up</source>
        <translation>Mailroom 设置</translation>
    </message>
    <message>
        <source>&amp;Close</source>
        <translation>关闭(&amp;C)</translation>
    </message>
    <message>
        <source>data directory set up</source>
        <translation>数据目录已建立</translation>
    </message>
    <message>
        <source>domain {domain}</source>
        <translation>网域 {domain}</translation>
    </message>
    <message>
        <source>account {address}</source>
        <translation>账号 {address}</translation>
    </message>
    <message>
        <source>relay networks {networks}</source>
        <translation>中继网络 {networks}</translation>
    </message>
    <message>
        <source>ISP relay {host}</source>
        <translation>ISP 中继 {host}</translation>
    </message>
    <message>
        <source>ISP relay not used</source>
        <translation>不使用 ISP 中继</translation>
    </message>
    <message>
        <source>could not start the mail server</source>
        <translation>无法启动邮件服务器</translation>
    </message>
    <message>
        <source>the mail server stopped with code {code}:
{output}</source>
        <translation>邮件服务器已停止，代码 {code}：
{output}</translation>
    </message>
    <message>
        <source>mail server running</source>
        <translation>邮件服务器正在运行</translation>
    </message>
</context>
<context>
    <name>SmarthostPage</name>
    <message>
        <source>Send a test message</source>
        <translation>寄出测试信</translation>
    </message>
    <message>
        <source>T&amp;o:</source>
        <translation>收件者(&amp;O):</translation>
    </message>
    <message>
        <source>an address outside this server, e.g. your own</source>
        <translation>本服务器以外的地址，例如你自己的</translation>
    </message>
    <message>
        <source>Send &amp;test message</source>
        <translation>寄出测试信(&amp;T)</translation>
    </message>
    <message>
        <source>Sends one message through the relay with the values above, saved or not, and shows the relay&apos;s answer</source>
        <translation>用上面的值（无论是否已保存）通过中继寄出一封信，并显示中继的回答</translation>
    </message>
    <message>
        <source>Test result</source>
        <translation>测试结果</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>正在寄出…</translation>
    </message>
    <message>
        <source>The relay accepted the message: {0}</source>
        <translation>中继已接受这封信：{0}</translation>
    </message>
    <message>
        <source>Not sent: {0}</source>
        <translation>未寄出：{0}</translation>
    </message>
    <message>
        <source>Sending through your provider (optional)</source>
        <translation>通过网络服务商寄信（可选）</translation>
    </message>
    <message>
        <source>Many ISPs block port 25: then send outside mail through their relay. Leave the host empty to deliver directly to each domain&apos;s mail server.</source>
        <translation>许多网络服务商封锁端口 25：这时请通过他们的中继寄出外部邮件。主机留空则直接递送到各网域的邮件服务器。</translation>
    </message>
    <message>
        <source>e.g. smtp.provider.example (empty: deliver directly)</source>
        <translation>例如 smtp.provider.example（留空：直接递送）</translation>
    </message>
    <message>
        <source>STARTTLS on 587</source>
        <translation>587 端口 STARTTLS</translation>
    </message>
    <message>
        <source>TLS on 465</source>
        <translation>465 端口 TLS</translation>
    </message>
    <message>
        <source>No encryption (not recommended)</source>
        <translation>不加密（不建议）</translation>
    </message>
    <message>
        <source>Relay &amp;host:</source>
        <translation>中继主机(&amp;H):</translation>
    </message>
    <message>
        <source>&amp;Security:</source>
        <translation>安全(&amp;S):</translation>
    </message>
    <message>
        <source>P&amp;ort:</source>
        <translation>端口(&amp;O):</translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation>用户名(&amp;U):</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>密码(&amp;W):</translation>
    </message>
    <message>
        <source>The password is kept where only the mail server can read it.</source>
        <translation>密码保存在只有邮件服务器能读取的地方。</translation>
    </message>
    <message>
        <source>an address outside, e.g. you@provider.example</source>
        <translation>外部地址，例如 you@provider.example</translation>
    </message>
    <message>
        <source>&amp;Test</source>
        <translation>测试(&amp;T)</translation>
    </message>
    <message>
        <source>Send a test message through the relay now</source>
        <translation>立即通过中继寄出一封测试信</translation>
    </message>
    <message>
        <source>Test &amp;to:</source>
        <translation>测试收件者(&amp;T):</translation>
    </message>
    <message>
        <source>empty: keep the stored password</source>
        <translation>留空：保留已保存的密码</translation>
    </message>
    <message>
        <source>give the relay&apos;s host name first</source>
        <translation>请先填写中继主机名称</translation>
    </message>
    <message>
        <source>Sending a test message…</source>
        <translation>正在寄出测试信…</translation>
    </message>
    <message>
        <source>The relay took the test message: {reply}</source>
        <translation>中继已接受测试信：{reply}</translation>
    </message>
    <message>
        <source>The test failed: {reply}</source>
        <translation>测试失败：{reply}</translation>
    </message>
</context>
<context>
    <name>_FileRow</name>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>PEM files (*.pem *.crt *.key);;All files (*)</source>
        <translation>PEM 文件 (*.pem *.crt *.key);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>services</name>
    <message>
        <source>{0} (port {1})</source>
        <translation>{0}（端口 {1}）</translation>
    </message>
</context>
<context>
    <name>settings</name>
    <message>
        <source>ACME CA directory URL (Let&apos;s Encrypt; its staging URL for trials)</source>
        <translation>ACME 证书颁发机构的目录 URL（Let&apos;s Encrypt；试用时用它的 staging URL）</translation>
    </message>
    <message>
        <source>DKIM-sign mail leaving for other domains</source>
        <translation>为寄往其他网域的邮件做 DKIM 签名</translation>
    </message>
    <message>
        <source>DNS blocklists asked about the client address, each ZONE or ZONE=POINTS (default 5 points)</source>
        <translation>查询客户端地址的 DNS 黑名单，每项为 ZONE 或 ZONE=分数（默认 5 分）</translation>
    </message>
    <message>
        <source>DNS servers (IP or IP:PORT); empty: system resolver</source>
        <translation>DNS 服务器（IP 或 IP:端口）；留空：使用系统解析器</translation>
    </message>
    <message>
        <source>IMAP listener (STARTTLS)</source>
        <translation>IMAP 监听（STARTTLS）</translation>
    </message>
    <message>
        <source>IMAP port</source>
        <translation>IMAP 端口</translation>
    </message>
    <message>
        <source>IMAPS listener (implicit TLS)</source>
        <translation>IMAPS 监听（隐式 TLS）</translation>
    </message>
    <message>
        <source>IMAPS port</source>
        <translation>IMAPS 端口</translation>
    </message>
    <message>
        <source>ManageSieve listener: mail programs edit their filters (STARTTLS, login required)</source>
        <translation>ManageSieve 监听：邮件程序编辑自己的过滤规则（STARTTLS，须登录）</translation>
    </message>
    <message>
        <source>ManageSieve port</source>
        <translation>ManageSieve 端口</translation>
    </message>
    <message>
        <source>PEM certificate chain (empty: tls/cert.pem)</source>
        <translation>PEM 证书链（留空：tls/cert.pem）</translation>
    </message>
    <message>
        <source>PEM private key (empty: tls/key.pem)</source>
        <translation>PEM 私钥（留空：tls/key.pem）</translation>
    </message>
    <message>
        <source>POP3 listener (STARTTLS, called STLS in POP3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>POP3 port</source>
        <translation>POP3 端口</translation>
    </message>
    <message>
        <source>POP3S listener (implicit TLS)</source>
        <translation>POP3S 监听（隐式 TLS）</translation>
    </message>
    <message>
        <source>POP3S port</source>
        <translation>POP3S 端口</translation>
    </message>
    <message>
        <source>SMTP (MX) listener on port 25</source>
        <translation>端口 25 上的 SMTP（MX）监听</translation>
    </message>
    <message>
        <source>SMTP (MX) port</source>
        <translation>SMTP（MX）端口</translation>
    </message>
    <message>
        <source>SMTPS listener (implicit TLS, AUTH required)</source>
        <translation>SMTPS 监听（隐式 TLS，须认证）</translation>
    </message>
    <message>
        <source>SMTPS port</source>
        <translation>SMTPS 端口</translation>
    </message>
    <message>
        <source>addresses every listener binds</source>
        <translation>所有监听程序绑定的地址</translation>
    </message>
    <message>
        <source>age public key the backups are encrypted to (age1...; empty: not encrypted); make one with: mailroom backup key</source>
        <translation>用于加密备份的 age 公钥（age1...；留空：不加密）；用 mailroom backup key 生成</translation>
    </message>
    <message>
        <source>allow POP3/IMAP password login without TLS from this machine</source>
        <translation>允许本机不经 TLS 以密码登录 POP3/IMAP</translation>
    </message>
    <message>
        <source>answer a failed login after this long, milliseconds (up to 5 times as long once an account has more recent failures than auth.max_failures)</source>
        <translation>登录失败后等待多久再回应，毫秒（账号近期失败次数超过 auth.max_failures 后最多延长到 5 倍）</translation>
    </message>
    <message>
        <source>attachment types refused (554 5.7.1) by file name extension (empty: none)</source>
        <translation>按文件扩展名拒收的附件类型（554 5.7.1）（留空：无）</translation>
    </message>
    <message>
        <source>check SPF, DKIM, DMARC and ARC of mail from outside (not logged in, not from a relay network) and add an Authentication-Results header</source>
        <translation>检查外部邮件（未登录、不是来自中继网络）的 SPF、DKIM、DMARC 和 ARC，并加上 Authentication-Results 标头</translation>
    </message>
    <message>
        <source>check the smarthost&apos;s TLS certificate</source>
        <translation>检查 ISP 中继的 TLS 证书</translation>
    </message>
    <message>
        <source>contact address given to the ACME CA (expiry notices)</source>
        <translation>提供给 ACME 证书颁发机构的联系地址（到期通知）</translation>
    </message>
    <message>
        <source>daily backup at this local time, HH:MM (empty: no scheduled backups)</source>
        <translation>每天在此本地时间备份，HH:MM（留空：不定时备份）</translation>
    </message>
    <message>
        <source>daily backups kept</source>
        <translation>保留的每日备份数</translation>
    </message>
    <message>
        <source>doctor tries outbound port 25 to this domain&apos;s MX</source>
        <translation>诊断时尝试连到此网域 MX 的外发端口 25</translation>
    </message>
    <message>
        <source>errors before a session is dropped</source>
        <translation>断开会话前允许的错误数</translation>
    </message>
    <message>
        <source>extra CA certificate file to trust for the ACME server&apos;s HTTPS (a private CA; empty: the system&apos;s)</source>
        <translation>信任 ACME 服务器 HTTPS 的额外 CA 证书文件（私有 CA；留空：使用系统的）</translation>
    </message>
    <message>
        <source>failed logins from one address (IPv6: one /64) in auth.failure_window before it is banned</source>
        <translation>同一地址（IPv6：同一 /64）在 auth.failure_window 内登录失败多少次后被封锁</translation>
    </message>
    <message>
        <source>first retry after, seconds</source>
        <translation>首次重试间隔，秒</translation>
    </message>
    <message>
        <source>folder the backups are written to, e.g. a USB disk or a NAS mount (empty: backups/ in the data directory)</source>
        <translation>备份写入的文件夹，例如 USB 磁盘或 NAS 挂载点（留空：数据目录中的 backups/）</translation>
    </message>
    <message>
        <source>from this score on mail gets X-Spam-Flag: YES (filed into Junk)</source>
        <translation>达到此分数的邮件会加上 X-Spam-Flag: YES（放入垃圾信夹）</translation>
    </message>
    <message>
        <source>from this score on mail is refused at the end of DATA (550 5.7.1)</source>
        <translation>达到此分数的邮件在 DATA 结束时被拒收（550 5.7.1）</translation>
    </message>
    <message>
        <source>give up after, seconds (5 days)</source>
        <translation>多久后放弃，秒（5 天）</translation>
    </message>
    <message>
        <source>how long a first ban lasts, seconds; each repeat ban doubles it</source>
        <translation>首次封锁持续多久，秒；每次再封锁时加倍</translation>
    </message>
    <message>
        <source>larger messages are not scanned (a log line says so), bytes</source>
        <translation>更大的邮件不扫描（日志中会记一行），字节</translation>
    </message>
    <message>
        <source>largest message accepted, bytes</source>
        <translation>接受的最大邮件，字节</translation>
    </message>
    <message>
        <source>logged-in users may send only as their own addresses and granted ones</source>
        <translation>已登录的用户只能用自己的地址和被授权的地址寄信</translation>
    </message>
    <message>
        <source>longest retry interval, seconds</source>
        <translation>最长重试间隔，秒</translation>
    </message>
    <message>
        <source>mail failing DMARC whose domain asks p=reject: reject (550), junk or off (p=quarantine always goes to junk unless off)</source>
        <translation>DMARC 失败且其网域要求 p=reject 的邮件：reject（拒收 550）、junk（垃圾信）或 off（关闭）（p=quarantine 除非关闭，否则总是放入垃圾信）</translation>
    </message>
    <message>
        <source>mail from outside with one of our domains in From: failing SPF and DKIM: reject (550), junk or off</source>
        <translation>From: 使用我们网域、且 SPF 和 DKIM 都失败的外部邮件：reject（拒收 550）、junk（垃圾信）或 off（关闭）</translation>
    </message>
    <message>
        <source>mail whose SPF says fail (-all) and DMARC does not pass: reject (550), junk or off</source>
        <translation>SPF 结果为 fail（-all）且 DMARC 未通过的邮件：reject（拒收 550）、junk（垃圾信）或 off（关闭）</translation>
    </message>
    <message>
        <source>messages handled at once</source>
        <translation>同时处理的邮件数</translation>
    </message>
    <message>
        <source>parallel connections to one domain</source>
        <translation>到同一网域的并行连接数</translation>
    </message>
    <message>
        <source>parallel outgoing SMTP connections</source>
        <translation>并行的外发 SMTP 连接数</translation>
    </message>
    <message>
        <source>port remote delivery connects to (tests only)</source>
        <translation>远程递送连接的端口（仅供测试）</translation>
    </message>
    <message>
        <source>port the HTTP-01 challenge is answered on, only while a challenge runs</source>
        <translation>回应 HTTP-01 验证的端口，仅在验证进行时使用</translation>
    </message>
    <message>
        <source>recipients per message</source>
        <translation>每封邮件的收件者数</translation>
    </message>
    <message>
        <source>refuse mail (452 at MAIL FROM) while the data directory has less free space, bytes (0: never)</source>
        <translation>数据目录可用空间少于此值时拒收邮件（MAIL FROM 时回 452），字节（0：从不）</translation>
    </message>
    <message>
        <source>refuse our own domains as sender from clients not logged in nor in a relay network</source>
        <translation>拒绝未登录且不在中继网络中的客户端以我们的网域作为寄件者</translation>
    </message>
    <message>
        <source>renew an ACME certificate this many days before it expires (earlier when the CA&apos;s renewal info says so)</source>
        <translation>在 ACME 证书到期前多少天续期（证书颁发机构的续期信息要求时会更早）</translation>
    </message>
    <message>
        <source>rotate the log at this size</source>
        <translation>日志达到此大小时轮换</translation>
    </message>
    <message>
        <source>rotated logs kept</source>
        <translation>保留的轮换日志数</translation>
    </message>
    <message>
        <source>rspamd controller password (empty: none)</source>
        <translation>rspamd 控制器密码（留空：无）</translation>
    </message>
    <message>
        <source>rspamd&apos;s controller, taught spam and ham when mail is moved into or out of Junk</source>
        <translation>rspamd 的控制器：邮件移入或移出垃圾信夹时用来学习垃圾信和正常信</translation>
    </message>
    <message>
        <source>rspamd&apos;s scanner, e.g. http://127.0.0.1:11333 (empty: built-in checks only)</source>
        <translation>rspamd 的扫描器，例如 http://127.0.0.1:11333（留空：仅用内建检查）</translation>
    </message>
    <message>
        <source>scan every message with ClamAV&apos;s clamd (needs clamav-daemon, 1-2 GB of memory)</source>
        <translation>用 ClamAV 的 clamd 扫描每封邮件（需要 clamav-daemon，1–2 GB 内存）</translation>
    </message>
    <message>
        <source>score mail from outside (not logged in, not from a relay network) for spam: authentication results, DNS blocklists, GTUBE, HELO, reverse DNS, rspamd</source>
        <translation>为外部邮件（未登录、不是来自中继网络）评分以识别垃圾信：认证结果、DNS 黑名单、GTUBE、HELO、反向 DNS、rspamd</translation>
    </message>
    <message>
        <source>seconds a client may stay idle</source>
        <translation>客户端可以闲置的秒数</translation>
    </message>
    <message>
        <source>seconds between the daemon&apos;s checks of the published DNS records (0: never)</source>
        <translation>服务检查已发布 DNS 记录的间隔秒数（0：从不）</translation>
    </message>
    <message>
        <source>seconds between the daemon&apos;s renewal checks (0: never)</source>
        <translation>服务检查续期的间隔秒数（0：从不）</translation>
    </message>
    <message>
        <source>seconds failed logins are counted over</source>
        <translation>统计登录失败的时间范围，秒</translation>
    </message>
    <message>
        <source>seconds to wait for a DNS answer in the record checks</source>
        <translation>检查记录时等待 DNS 回答的秒数</translation>
    </message>
    <message>
        <source>seconds to wait for a remote server</source>
        <translation>等待远程服务器的秒数</translation>
    </message>
    <message>
        <source>seconds to wait for clamd</source>
        <translation>等待 clamd 的秒数</translation>
    </message>
    <message>
        <source>seconds to wait for each DNS answer in the inbound checks (no answer: 451)</source>
        <translation>收信检查中等待每个 DNS 回答的秒数（无回答：451）</translation>
    </message>
    <message>
        <source>seconds to wait for rspamd (no answer: its score is left out)</source>
        <translation>等待 rspamd 的秒数（无回答：不计它的分数）</translation>
    </message>
    <message>
        <source>send all outside mail through this relay (empty: MX)</source>
        <translation>所有外部邮件都通过此中继寄出（留空：按 MX）</translation>
    </message>
    <message>
        <source>serve Roundcube webmail over HTTPS (mailroom webmail enable|disable)</source>
        <translation>通过 HTTPS 提供 Roundcube 网页邮件（mailroom webmail enable|disable）</translation>
    </message>
    <message>
        <source>simultaneous IMAP sessions (IMAP and IMAPS)</source>
        <translation>同时的 IMAP 会话数（IMAP 和 IMAPS）</translation>
    </message>
    <message>
        <source>simultaneous IMAP sessions from one IP</source>
        <translation>同一 IP 的同时 IMAP 会话数</translation>
    </message>
    <message>
        <source>simultaneous POP3 sessions (POP3 and POP3S)</source>
        <translation>同时的 POP3 会话数（POP3 和 POP3S）</translation>
    </message>
    <message>
        <source>simultaneous POP3 sessions from one IP</source>
        <translation>同一 IP 的同时 POP3 会话数</translation>
    </message>
    <message>
        <source>simultaneous SMTP sessions</source>
        <translation>同时的 SMTP 会话数</translation>
    </message>
    <message>
        <source>simultaneous sessions from one IP</source>
        <translation>同一 IP 的同时会话数</translation>
    </message>
    <message>
        <source>smarthost AUTH password</source>
        <translation>ISP 中继的认证密码</translation>
    </message>
    <message>
        <source>smarthost AUTH user (empty: no AUTH)</source>
        <translation>ISP 中继的认证用户（留空：不认证）</translation>
    </message>
    <message>
        <source>smarthost TLS: starttls, implicit or none</source>
        <translation>ISP 中继的 TLS：starttls、implicit 或 none</translation>
    </message>
    <message>
        <source>smarthost port</source>
        <translation>ISP 中继端口</translation>
    </message>
    <message>
        <source>submission listener (STARTTLS, AUTH required)</source>
        <translation>submission 监听（STARTTLS，须认证）</translation>
    </message>
    <message>
        <source>submission port</source>
        <translation>submission 端口</translation>
    </message>
    <message>
        <source>the longest automatic ban, seconds</source>
        <translation>最长的自动封锁，秒</translation>
    </message>
    <message>
        <source>this server&apos;s host name (EHLO, Received:)</source>
        <translation>本服务器的主机名称（EHLO、Received:）</translation>
    </message>
    <message>
        <source>this server&apos;s public IPv4 address for the DNS records (empty: detected)</source>
        <translation>DNS 记录中本服务器的公网 IPv4 地址（留空：自动检测）</translation>
    </message>
    <message>
        <source>this server&apos;s public IPv6 address for the DNS records (empty: detected)</source>
        <translation>DNS 记录中本服务器的公网 IPv6 地址（留空：自动检测）</translation>
    </message>
    <message>
        <source>warn the sender after, seconds (0: never)</source>
        <translation>多久后警告寄件者，秒（0：从不）</translation>
    </message>
    <message>
        <source>webmail HTTPS port (at /webmail)</source>
        <translation>网页邮件 HTTPS 端口（位于 /webmail）</translation>
    </message>
    <message>
        <source>weekly backups kept (the newest of each week)</source>
        <translation>保留的每周备份数（每周最新的一份）</translation>
    </message>
    <message>
        <source>when clamd cannot be reached: defer (451, the sender retries) or accept</source>
        <translation>无法连到 clamd 时：defer（延迟 451，寄件者会重试）或 accept（接受）</translation>
    </message>
    <message>
        <source>where clamd listens: a Unix socket path or HOST:PORT</source>
        <translation>clamd 监听的位置：Unix 套接字路径或 主机:端口</translation>
    </message>
</context>
</TS>
