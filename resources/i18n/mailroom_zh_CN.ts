<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name></name>
    <message>
        <source>Sending: in the daemon&apos;s own process</source>
        <translation>发信：在守护进程自身的进程中</translation>
    </message>
    <message>
        <source> (restarted {0} times)</source>
        <translation>（已重启 {0} 次）</translation>
    </message>
    <message>
        <source>Sending: delivery process idle, starts with the next outside message</source>
        <translation>发信：投递进程空闲，下一封外发邮件到来时启动</translation>
    </message>
    <message>
        <source>Sending: delivery process {0}, {1} in flight</source>
        <translation>发信：投递进程 {0}，{1} 封正在发送</translation>
    </message>
</context>
<context>
    <name>AccountModel</name>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Usage</source>
        <translation>用量</translation>
    </message>
    <message>
        <source>Quota</source>
        <translation>容量</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>信件数</translation>
    </message>
    <message>
        <source>Forwarding</source>
        <translation>转发</translation>
    </message>
    <message>
        <source>enabled</source>
        <translation>已启用</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>已停用</translation>
    </message>
    <message>
        <source>unlimited</source>
        <translation>无限制</translation>
    </message>
</context>
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
        <source>&amp;Confirm password:</source>
        <translation>确认密码(&amp;C):</translation>
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
        <source>Accounts</source>
        <translation>账号</translation>
    </message>
    <message>
        <source>&amp;New account</source>
        <translation>新建账号(&amp;N)</translation>
    </message>
    <message>
        <source>Delete a&amp;ccount…</source>
        <translation>删除账号(&amp;C)…</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>账号</translation>
    </message>
    <message>
        <source>&amp;Address:</source>
        <translation>地址(&amp;A):</translation>
    </message>
    <message>
        <source>&amp;Enabled (may log in and receive mail)</source>
        <translation>启用(&amp;E)（可以登录和收信）</translation>
    </message>
    <message>
        <source>unchanged</source>
        <translation>不变</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>密码(&amp;P):</translation>
    </message>
    <message>
        <source>Confirm pass&amp;word:</source>
        <translation>确认密码(&amp;W):</translation>
    </message>
    <message>
        <source> MB</source>
        <translation> MB</translation>
    </message>
    <message>
        <source>unlimited</source>
        <translation>无限制</translation>
    </message>
    <message>
        <source>&amp;Quota:</source>
        <translation>容量(&amp;Q):</translation>
    </message>
    <message>
        <source>no forwarding (one address per line)</source>
        <translation>不转发（每行一个地址）</translation>
    </message>
    <message>
        <source>Forward &amp;to:</source>
        <translation>转发到(&amp;T):</translation>
    </message>
    <message>
        <source>&amp;Keep a copy in this mailbox</source>
        <translation>在此信箱保留副本(&amp;K)</translation>
    </message>
    <message>
        <source>at least 8 characters</source>
        <translation>至少 8 个字符</translation>
    </message>
    <message>
        <source>the same again</source>
        <translation>再输入一次</translation>
    </message>
    <message>
        <source>Saved {0}.</source>
        <translation>已保存 {0}。</translation>
    </message>
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
    <name>AliasModel</name>
    <message>
        <source>Alias</source>
        <translation>别名</translation>
    </message>
    <message>
        <source>Members</source>
        <translation>成员</translation>
    </message>
</context>
<context>
    <name>AliasesPage</name>
    <message>
        <source>Aliases &amp; groups</source>
        <translation>别名与群组</translation>
    </message>
    <message>
        <source>Aliases</source>
        <translation>别名</translation>
    </message>
    <message>
        <source>&amp;New alias</source>
        <translation>新建别名(&amp;N)</translation>
    </message>
    <message>
        <source>Dele&amp;te alias…</source>
        <translation>删除别名(&amp;T)…</translation>
    </message>
    <message>
        <source>&amp;Import /etc/aliases…</source>
        <translation>导入 /etc/aliases(&amp;I)…</translation>
    </message>
    <message>
        <source>Alias or group</source>
        <translation>别名或群组</translation>
    </message>
    <message>
        <source>staff@example.com</source>
        <translation>staff@example.com</translation>
    </message>
    <message>
        <source>&amp;Address:</source>
        <translation>地址(&amp;A):</translation>
    </message>
    <message>
        <source>&amp;Catch-all: every other address of</source>
        <translation>全收(&amp;C)：此网域的所有其他地址</translation>
    </message>
    <message>
        <source>Mail to any address of the domain that is neither an account nor another alias goes to the members</source>
        <translation>寄到此网域中既不是账号也不是其他别名的任何地址的信，都交给成员</translation>
    </message>
    <message>
        <source>Catch-all domain</source>
        <translation>全收网域</translation>
    </message>
    <message>
        <source>Members</source>
        <translation>成员</translation>
    </message>
    <message>
        <source>&amp;Members:</source>
        <translation>成员(&amp;M):</translation>
    </message>
    <message>
        <source>bob@example.com or :error:550 gone</source>
        <translation>bob@example.com 或 :error:550 gone</translation>
    </message>
    <message>
        <source>Add mem&amp;ber</source>
        <translation>添加成员(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Remove member</source>
        <translation>移除成员(&amp;R)</translation>
    </message>
    <message>
        <source>Saved {0}.</source>
        <translation>已保存 {0}。</translation>
    </message>
    <message>
        <source>Delete alias</source>
        <translation>删除别名</translation>
    </message>
    <message>
        <source>Delete the alias {0}?</source>
        <translation>删除别名 {0}？</translation>
    </message>
    <message>
        <source>Cannot read {0}: {1}</source>
        <translation>无法读取 {0}：{1}</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>The Mailroom service runs on this computer, but {0}.</source>
        <translation>这台电脑上运行着 Mailroom 服务，但{0}。</translation>
    </message>
    <message>
        <source>Start Mailroom?</source>
        <translation>启动 Mailroom？</translation>
    </message>
    <message>
        <source>No Mailroom daemon answers for {0}.

Start it now? It keeps running (and mail keeps flowing) when you close this window.</source>
        <translation>{0} 没有 Mailroom 服务回应。

现在启动吗？关闭这个窗口后它会继续运行（邮件照常收发）。</translation>
    </message>
</context>
<context>
    <name>BackupsPage</name>
    <message>
        <source>Backup</source>
        <translation>备份</translation>
    </message>
    <message>
        <source>Made</source>
        <translation>建立时间</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>已过时间</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Encrypted</source>
        <translation>已加密</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation>备份</translation>
    </message>
    <message>
        <source>Where and when</source>
        <translation>位置与时间</translation>
    </message>
    <message>
        <source>Backup folder</source>
        <translation>备份文件夹</translation>
    </message>
    <message>
        <source>a USB disk or a NAS mount, e.g. /media/usb/backups</source>
        <translation>USB 磁盘或 NAS 挂载点，例如 /media/usb/backups</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <source>Backup folder:</source>
        <translation>备份文件夹：</translation>
    </message>
    <message>
        <source>Back up every day at</source>
        <translation>每天备份的时间</translation>
    </message>
    <message>
        <source>Backup time</source>
        <translation>备份时间</translation>
    </message>
    <message>
        <source>Schedule:</source>
        <translation>时间表：</translation>
    </message>
    <message>
        <source>daily and</source>
        <translation>份每日备份和</translation>
    </message>
    <message>
        <source>weekly backups</source>
        <translation>份每周备份</translation>
    </message>
    <message>
        <source>Keep:</source>
        <translation>保留：</translation>
    </message>
    <message>
        <source>Make encryption &amp;key…</source>
        <translation>生成加密密钥(&amp;K)…</translation>
    </message>
    <message>
        <source>Encrypt backups from now on; the key is shown once</source>
        <translation>从现在起加密备份；密钥只显示一次</translation>
    </message>
    <message>
        <source>Encryption:</source>
        <translation>加密：</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>Back up &amp;now</source>
        <translation>立即备份(&amp;N)</translation>
    </message>
    <message>
        <source>Verif&amp;y</source>
        <translation>验证(&amp;Y)</translation>
    </message>
    <message>
        <source>Unpack the selected backup into a scratch folder and check every file</source>
        <translation>把选中的备份解压到临时文件夹并检查每个文件</translation>
    </message>
    <message>
        <source>&amp;Restore…</source>
        <translation>恢复(&amp;R)…</translation>
    </message>
    <message>
        <source>empty: {0} (on this disk; better a USB disk or a NAS)</source>
        <translation>留空：{0}（在本磁盘上；最好用 USB 磁盘或 NAS）</translation>
    </message>
    <message>
        <source>Encrypted to {0}…</source>
        <translation>已加密，密钥 {0}…</translation>
    </message>
    <message>
        <source>New encryption &amp;key…</source>
        <translation>新的加密密钥(&amp;K)…</translation>
    </message>
    <message>
        <source>Not encrypted: anyone holding the backup disk can read every mailbox.</source>
        <translation>未加密：任何拿到备份磁盘的人都能读取每个信箱。</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>No backups yet.</source>
        <translation>还没有备份。</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <source>Make a new key? Backups made so far still need the old one.</source>
        <translation>生成新密钥？之前的备份仍然需要旧密钥。</translation>
    </message>
    <message>
        <source>Encrypt backups from now on? The key is shown once: have a USB stick or a printer ready.</source>
        <translation>从现在起加密备份？密钥只显示一次：请准备好 USB 随身碟或打印机。</translation>
    </message>
    <message>
        <source>Backup key</source>
        <translation>备份密钥</translation>
    </message>
    <message>
        <source>{0}: {1}% {2}</source>
        <translation>{0}：{1}% {2}</translation>
    </message>
    <message>
        <source>Backed up into {0} ({1}).</source>
        <translation>已备份到 {0}（{1}）。</translation>
    </message>
    <message>
        <source>The backup failed: {0}</source>
        <translation>备份失败：{0}</translation>
    </message>
    <message>
        <source>Choose a backup in the list first.</source>
        <translation>请先在列表中选择一个备份。</translation>
    </message>
    <message>
        <source>{0} is whole: {1} files match the manifest and every database passes its integrity check.</source>
        <translation>{0} 完好：{1} 个文件与清单相符，每个数据库都通过完整性检查。</translation>
    </message>
    <message>
        <source>{0} is damaged: {1}</source>
        <translation>{0} 已损坏：{1}</translation>
    </message>
    <message>
        <source>Could not verify: {0}</source>
        <translation>无法验证：{0}</translation>
    </message>
    <message>
        <source>This backup is encrypted: give its key.</source>
        <translation>此备份已加密：请提供它的密钥。</translation>
    </message>
</context>
<context>
    <name>CertificatesPage</name>
    <message>
        <source>Certificates</source>
        <translation>证书</translation>
    </message>
    <message>
        <source>Let&apos;s Encrypt (ACME)</source>
        <translation>Let&apos;s Encrypt（ACME）</translation>
    </message>
    <message>
        <source>Certificate files (advanced)</source>
        <translation>证书文件（高级）</translation>
    </message>
    <message>
        <source>Contact e-mail</source>
        <translation>联系电子邮件</translation>
    </message>
    <message>
        <source>CA directory URL</source>
        <translation>证书颁发机构目录 URL</translation>
    </message>
    <message>
        <source>Renew days before expiry</source>
        <translation>到期前多少天续期</translation>
    </message>
    <message>
        <source>Check for renewal every</source>
        <translation>检查续期的间隔</translation>
    </message>
    <message>
        <source>HTTP-01 challenge port</source>
        <translation>HTTP-01 验证端口</translation>
    </message>
    <message>
        <source>Extra CA for the ACME server</source>
        <translation>ACME 服务器的额外 CA</translation>
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
        <source>Get from Let&apos;s &amp;Encrypt…</source>
        <translation>从 Let&apos;s &amp;Encrypt 获取…</translation>
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
        <translation>还剩 %1 天</translation>
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
        <translation>注意：%1。</translation>
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
        <source>received</source>
        <translation>已接收</translation>
    </message>
    <message>
        <source>delivered</source>
        <translation>已递送</translation>
    </message>
    <message>
        <source>deferred</source>
        <translation>已延迟</translation>
    </message>
    <message>
        <source>bounced</source>
        <translation>已退信</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>已拒收</translation>
    </message>
    <message>
        <source>in queue</source>
        <translation>在队列中</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>no mail is received or sent</source>
        <translation>不收信也不寄信</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>Degraded</source>
        <translation>部分故障</translation>
    </message>
    <message>
        <source>Dashboard</source>
        <translation>仪表板</translation>
    </message>
    <message>
        <source>Checking the daemon…</source>
        <translation>正在检查服务…</translation>
    </message>
    <message>
        <source>S&amp;tart service</source>
        <translation>启动服务(&amp;T)</translation>
    </message>
    <message>
        <source>S&amp;tart daemon</source>
        <translation>启动服务(&amp;T)</translation>
    </message>
    <message>
        <source>St&amp;op service</source>
        <translation>停止服务(&amp;O)</translation>
    </message>
    <message>
        <source>St&amp;op daemon</source>
        <translation>停止服务(&amp;O)</translation>
    </message>
    <message>
        <source>Rest&amp;art service</source>
        <translation>重启服务(&amp;A)</translation>
    </message>
    <message>
        <source>Rest&amp;art daemon</source>
        <translation>重启服务(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Pause incoming</source>
        <translation>暂停收信(&amp;P)</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>{0} today</source>
        <translation>今天{0}</translation>
    </message>
    <message>
        <source>Listeners</source>
        <translation>监听程序</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Warnings</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>Messages per hour (last 24 hours)</source>
        <translation>每小时信件数（最近 24 小时）</translation>
    </message>
    <message>
        <source></source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● running</source>
        <translation>● 运行中</translation>
    </message>
    <message>
        <source>● stopped</source>
        <translation>● 已停止</translation>
    </message>
    <message>
        <source>● failed</source>
        <translation>● 失败</translation>
    </message>
    <message>
        <source>⚠ the daemon is not running: no mail is received or sent</source>
        <translation>⚠ 服务未运行：不收信也不寄信</translation>
    </message>
    <message>
        <source>✓ nothing to worry about</source>
        <translation>✓ 一切正常</translation>
    </message>
    <message>
        <source>Resume &amp;incoming</source>
        <translation>恢复收信(&amp;I)</translation>
    </message>
    <message>
        <source>Stop the Mailroom service? No mail is received or sent until it is started again (at the latest at the next boot).</source>
        <translation>停止 Mailroom 服务？在它再次启动之前（最迟在下次开机时）不收信也不寄信。</translation>
    </message>
    <message>
        <source>Stop the mail server? No mail is received or sent until it runs again.</source>
        <translation>停止邮件服务器？在它再次运行之前不收信也不寄信。</translation>
    </message>
    <message>
        <source>This daemon was not started by this window. Stop it anyway? No mail is received or sent until it runs again.</source>
        <translation>此服务不是由这个窗口启动的。仍要停止它吗？在它再次运行之前不收信也不寄信。</translation>
    </message>
    <message>
        <source>Stop Mailroom</source>
        <translation>停止 Mailroom</translation>
    </message>
</context>
<context>
    <name>DnsPage</name>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>What to do</source>
        <translation>该怎么做</translation>
    </message>
    <message>
        <source>Publish these records at your DNS provider so that other mail servers find this one and trust its mail (SPF, DKIM, DMARC). “Check now” looks each one up.</source>
        <translation>请在你的 DNS 服务商处发布这些记录，让其他邮件服务器找到本服务器并信任它寄出的邮件（SPF、DKIM、DMARC）。“立即检查”会逐条查询。</translation>
    </message>
    <message>
        <source>DNS records</source>
        <translation>DNS 记录</translation>
    </message>
    <message>
        <source>Copy &amp;all</source>
        <translation>全部复制(&amp;A)</translation>
    </message>
    <message>
        <source>Copy every record, in zone-file form</source>
        <translation>以区域文件格式复制所有记录</translation>
    </message>
    <message>
        <source>&amp;Check now</source>
        <translation>立即检查(&amp;C)</translation>
    </message>
    <message>
        <source>Look every record up in DNS (takes a few seconds)</source>
        <translation>在 DNS 中查询每条记录（需要几秒钟）</translation>
    </message>
    <message>
        <source>Every record is published as it should be.</source>
        <translation>所有记录都已正确发布。</translation>
    </message>
    <message>
        <source>Records to fix: {0}</source>
        <translation>需要修正的记录：{0}</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the {0} record</source>
        <translation>复制 {0} 记录</translation>
    </message>
    <message>
        <source>Copied the {0} record of {1}.</source>
        <translation>已复制 {1} 的 {0} 记录。</translation>
    </message>
    <message>
        <source>Copied every record.</source>
        <translation>已复制所有记录。</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
</context>
<context>
    <name>DnsSettingsPage</name>
    <message>
        <source>DNS &amp; DKIM settings</source>
        <translation>DNS 与 DKIM 设置</translation>
    </message>
    <message>
        <source>Resolver</source>
        <translation>解析器</translation>
    </message>
    <message>
        <source>Published records</source>
        <translation>已发布的记录</translation>
    </message>
    <message>
        <source>Testing</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>DNS servers</source>
        <translation>DNS 服务器</translation>
    </message>
    <message>
        <source>Time-out</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>Public IPv4 address</source>
        <translation>公网 IPv4 地址</translation>
    </message>
    <message>
        <source>Public IPv6 address</source>
        <translation>公网 IPv6 地址</translation>
    </message>
    <message>
        <source>Check the records every</source>
        <translation>检查记录的间隔</translation>
    </message>
    <message>
        <source>DKIM-sign outgoing mail</source>
        <translation>为外发邮件做 DKIM 签名</translation>
    </message>
    <message>
        <source>Port of remote mail servers</source>
        <translation>远程邮件服务器端口</translation>
    </message>
</context>
<context>
    <name>DoctorPage</name>
    <message>
        <source>✓ ok</source>
        <translation>✓ 正常</translation>
    </message>
    <message>
        <source>! warning</source>
        <translation>! 警告</translation>
    </message>
    <message>
        <source>✗ failing</source>
        <translation>✗ 失败</translation>
    </message>
    <message>
        <source>– not checked</source>
        <translation>– 未检查</translation>
    </message>
    <message>
        <source>Outbound mail</source>
        <translation>外发邮件</translation>
    </message>
    <message>
        <source>Reverse DNS</source>
        <translation>反向 DNS</translation>
    </message>
    <message>
        <source>TLS certificate</source>
        <translation>TLS 证书</translation>
    </message>
    <message>
        <source>Disk space</source>
        <translation>磁盘空间</translation>
    </message>
    <message>
        <source>Mail queue</source>
        <translation>邮件队列</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation>备份</translation>
    </message>
    <message>
        <source>Clock</source>
        <translation>时钟</translation>
    </message>
    <message>
        <source>Outbound test</source>
        <translation>外发测试</translation>
    </message>
    <message>
        <source>Try port 25 to the mail server of</source>
        <translation>尝试连接此网域邮件服务器的端口 25</translation>
    </message>
    <message>
        <source>Checks</source>
        <translation>检查项目</translation>
    </message>
    <message>
        <source>What most often stops a small office&apos;s mail: a blocked port 25, reverse DNS, an expiring certificate, a full disk, mail stuck in the queue, old backups, a wrong clock.</source>
        <translation>最常让小型办公室邮件出问题的原因：端口 25 被封锁、反向 DNS、证书即将到期、磁盘已满、邮件卡在队列中、备份太旧、时钟不准。</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>检查</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>What was found</source>
        <translation>发现的情况</translation>
    </message>
    <message>
        <source>How to fix</source>
        <translation>如何修复</translation>
    </message>
    <message>
        <source>Diagnostics</source>
        <translation>诊断</translation>
    </message>
    <message>
        <source>Not run yet.</source>
        <translation>尚未运行。</translation>
    </message>
    <message>
        <source>&amp;Run checks</source>
        <translation>运行检查(&amp;R)</translation>
    </message>
    <message>
        <source>Run every check now (takes a few seconds)</source>
        <translation>立即运行所有检查（需要几秒钟）</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
    <message>
        <source>%1 ok, %2 warnings, %3 failing, %4 not checked</source>
        <translation>%1 项正常，%2 项警告，%3 项失败，%4 项未检查</translation>
    </message>
</context>
<context>
    <name>DomainsPage</name>
    <message>
        <source>Host names &amp; domains</source>
        <translation>主机名称与网域</translation>
    </message>
    <message>
        <source>mail.example.com</source>
        <translation>mail.example.com</translation>
    </message>
    <message>
        <source>&amp;Host name:</source>
        <translation>主机名称(&amp;H):</translation>
    </message>
    <message>
        <source>Domains this server receives mail for (local-host-names)</source>
        <translation>本服务器收信的网域（local-host-names）</translation>
    </message>
    <message>
        <source>Domains</source>
        <translation>网域</translation>
    </message>
    <message>
        <source>example.com</source>
        <translation>example.com</translation>
    </message>
    <message>
        <source>New do&amp;main:</source>
        <translation>新网域(&amp;M):</translation>
    </message>
    <message>
        <source>Kind of name</source>
        <translation>名称种类</translation>
    </message>
    <message>
        <source>A domain of its own, or another name of a domain (its mailboxes: bob@alias reaches bob@domain)</source>
        <translation>独立的网域，或某网域的别名（共用信箱：寄到 bob@别名 即到 bob@网域）</translation>
    </message>
    <message>
        <source>&amp;Add</source>
        <translation>添加(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>移除(&amp;R)</translation>
    </message>
    <message>
        <source>DNS records to publish</source>
        <translation>要发布的 DNS 记录</translation>
    </message>
    <message>
        <source>&amp;Copy records</source>
        <translation>复制记录(&amp;C)</translation>
    </message>
    <message>
        <source>DKIM keys (they sign the mail that leaves for other domains)</source>
        <translation>DKIM 密钥（为寄往其他网域的邮件签名）</translation>
    </message>
    <message>
        <source>DKIM keys</source>
        <translation>DKIM 密钥</translation>
    </message>
    <message>
        <source>Domain</source>
        <translation>网域</translation>
    </message>
    <message>
        <source>Selector</source>
        <translation>选择器</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>种类</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Sign with the new keys at o&amp;nce (else: once their record is seen in DNS)</source>
        <translation>立即用新密钥签名(&amp;N)（否则：等 DNS 中出现其记录后）</translation>
    </message>
    <message>
        <source>R&amp;otate keys</source>
        <translation>轮换密钥(&amp;O)</translation>
    </message>
    <message>
        <source>New keys for the selected key&apos;s domain; the old ones are kept a week</source>
        <translation>为选中密钥的网域生成新密钥；旧密钥保留一周</translation>
    </message>
    <message>
        <source>Select a key of the domain to rotate first.</source>
        <translation>请先选中要轮换的网域密钥。</translation>
    </message>
    <message>
        <source>New DKIM keys for {0}: they sign now.</source>
        <translation>{0} 的新 DKIM 密钥：现在开始签名。</translation>
    </message>
    <message>
        <source>New DKIM keys for {0}: publish their records (DNS page); they sign once seen.</source>
        <translation>{0} 的新 DKIM 密钥：请发布它们的记录（DNS 页面）；一旦在 DNS 中看到就开始签名。</translation>
    </message>
    <message>
        <source>as a domain</source>
        <translation>作为网域</translation>
    </message>
    <message>
        <source>as an alias of {0}</source>
        <translation>作为 {0} 的别名</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
</context>
<context>
    <name>FiltersPage</name>
    <message>
        <source>Filters</source>
        <translation>过滤规则</translation>
    </message>
    <message>
        <source>From</source>
        <translation>寄件者</translation>
    </message>
    <message>
        <source>To or Cc</source>
        <translation>收件者或副本</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>Header…</source>
        <translation>标头…</translation>
    </message>
    <message>
        <source>contains</source>
        <translation>包含</translation>
    </message>
    <message>
        <source>is</source>
        <translation>是</translation>
    </message>
    <message>
        <source>matches (* and ?)</source>
        <translation>匹配（* 和 ?）</translation>
    </message>
    <message>
        <source>Move to folder</source>
        <translation>移到文件夹</translation>
    </message>
    <message>
        <source>Forward to</source>
        <translation>转发到</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Mark as read</source>
        <translation>标记为已读</translation>
    </message>
    <message>
        <source>&amp;Account:</source>
        <translation>账号(&amp;A):</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>账号</translation>
    </message>
    <message>
        <source>&amp;Rules</source>
        <translation>规则(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Expert (Sieve)</source>
        <translation>专家模式(&amp;E)（Sieve）</translation>
    </message>
    <message>
        <source>&amp;Out of office</source>
        <translation>外出(&amp;O)</translation>
    </message>
    <message>
        <source>Each rule is tried in turn; the first one that moves, forwards or deletes a message ends the filtering. Spam is filed into Junk before any rule.</source>
        <translation>规则依次尝试；第一条移动、转发或删除信件的规则结束过滤。垃圾信在所有规则之前就被放入垃圾信夹。</translation>
    </message>
    <message>
        <source>This account&apos;s script was written by hand (or imported): see Expert. Saving rules here replaces it.</source>
        <translation>此账号的脚本是手写（或导入）的：请看专家模式。在这里保存规则会取代它。</translation>
    </message>
    <message>
        <source>Rules</source>
        <translation>规则</translation>
    </message>
    <message>
        <source>If</source>
        <translation>如果</translation>
    </message>
    <message>
        <source>Header</source>
        <translation>标头</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Then</source>
        <translation>则</translation>
    </message>
    <message>
        <source>Folder or address</source>
        <translation>文件夹或地址</translation>
    </message>
    <message>
        <source>&amp;New rule</source>
        <translation>新建规则(&amp;N)</translation>
    </message>
    <message>
        <source>Send an out-of-office re&amp;ply</source>
        <translation>发送外出自动回复(&amp;P)</translation>
    </message>
    <message>
        <source>Re&amp;move rule</source>
        <translation>移除规则(&amp;M)</translation>
    </message>
    <message>
        <source>The Sieve script these rules make:</source>
        <translation>这些规则生成的 Sieve 脚本：</translation>
    </message>
    <message>
        <source>Generated script</source>
        <translation>生成的脚本</translation>
    </message>
    <message>
        <source>The account&apos;s active Sieve script (RFC 5228, with fileinto, copy, imap4flags, body, envelope, vacation, relational and date). Mail programs with a filter editor (ManageSieve) see the same script.</source>
        <translation>此账号正在使用的 Sieve 脚本（RFC 5228，支持 fileinto、copy、imap4flags、body、envelope、vacation、relational 和 date）。带过滤规则编辑器（ManageSieve）的邮件程序看到的是同一个脚本。</translation>
    </message>
    <message>
        <source>Sieve script</source>
        <translation>Sieve 脚本</translation>
    </message>
    <message>
        <source>&amp;Check</source>
        <translation>检查(&amp;C)</translation>
    </message>
    <message>
        <source>Ask the server whether this script can be saved</source>
        <translation>询问服务器此脚本能否保存</translation>
    </message>
    <message>
        <source>F&amp;rom</source>
        <translation>从(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Until</source>
        <translation>到(&amp;U)</translation>
    </message>
    <message>
        <source>Auto: (their subject)</source>
        <translation>Auto:（对方的主题）</translation>
    </message>
    <message>
        <source>Su&amp;bject:</source>
        <translation>主题(&amp;B):</translation>
    </message>
    <message>
        <source> day(s)</source>
        <translation> 天</translation>
    </message>
    <message>
        <source>Answer each sender once in:</source>
        <translation>对每位寄件者只回复一次，间隔：</translation>
    </message>
    <message>
        <source>Reply text</source>
        <translation>回复内容</translation>
    </message>
    <message>
        <source>I am away until Monday and will answer then.</source>
        <translation>我外出到星期一，届时再回复。</translation>
    </message>
    <message>
        <source>Te&amp;xt:</source>
        <translation>内容(&amp;X):</translation>
    </message>
    <message>
        <source>No reply goes to mailing lists, automatic mail, bounces, or twice to the same sender within the days above.</source>
        <translation>不会回复邮件列表、自动邮件、退信，也不会在上述天数内重复回复同一寄件者。</translation>
    </message>
    <message>
        <source>Add an account first (Accounts page).</source>
        <translation>请先添加账号（账号页面）。</translation>
    </message>
    <message>
        <source> (active)</source>
        <translation>（使用中）</translation>
    </message>
    <message>
        <source>Scripts: %s</source>
        <translation>脚本：%s</translation>
    </message>
    <message>
        <source>No script yet</source>
        <translation>尚无脚本</translation>
    </message>
    <message>
        <source>Finance</source>
        <translation>财务</translation>
    </message>
    <message>
        <source>someone@example.com</source>
        <translation>someone@example.com</translation>
    </message>
    <message>
        <source>The script is fine.</source>
        <translation>脚本没有问题。</translation>
    </message>
    <message>
        <source>Line %1: %2</source>
        <translation>第 %1 行：%2</translation>
    </message>
    <message>
        <source>Saved the filters of %s.</source>
        <translation>已保存 %s 的过滤规则。</translation>
    </message>
    <message>
        <source>Not saved: </source>
        <translation>未保存：</translation>
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
        <source>Co&amp;py records</source>
        <translation>复制记录(&amp;P)</translation>
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
    <name>HourChart</name>
    <message>
        <source>received</source>
        <translation>已接收</translation>
    </message>
    <message>
        <source>delivered</source>
        <translation>已递送</translation>
    </message>
    <message>
        <source>bounced</source>
        <translation>已退信</translation>
    </message>
    <message>
        <source>Messages per hour, last 24 hours</source>
        <translation>每小时信件数，最近 24 小时</translation>
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
    <name>ImportPage</name>
    <message>
        <source>Bring over a sendmail setup: access, local-host-names, aliases (with their :include: lists), virtusertable, and each user&apos;s .forward and .procmailrc. Preview first: nothing changes until you apply.</source>
        <translation>迁移 sendmail 设置：access、local-host-names、aliases（含 :include: 列表）、virtusertable，以及每个用户的 .forward 和 .procmailrc。请先预览：在你执行之前不会有任何更改。</translation>
    </message>
    <message>
        <source>Where the old setup is</source>
        <translation>旧设置的位置</translation>
    </message>
    <message>
        <source>optional, e.g. /home</source>
        <translation>可选，例如 /home</translation>
    </message>
    <message>
        <source>F&amp;older with access, aliases, virtusertable…:</source>
        <translation>含 access、aliases、virtusertable… 的文件夹(&amp;O):</translation>
    </message>
    <message>
        <source>&amp;Home folders (USER/.forward, USER/.procmailrc):</source>
        <translation>家目录(&amp;H)（用户/.forward、用户/.procmailrc）:</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>What</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Import preview</source>
        <translation>导入预览</translation>
    </message>
    <message>
        <source>&amp;Preview</source>
        <translation>预览(&amp;P)</translation>
    </message>
    <message>
        <source>List every change and every line that cannot be carried over; changes nothing</source>
        <translation>列出每项更改和每一行无法迁移的内容；不做任何更改</translation>
    </message>
    <message>
        <source>&amp;Apply</source>
        <translation>执行(&amp;A)</translation>
    </message>
    <message>
        <source>Make the changes of the preview</source>
        <translation>执行预览中的更改</translation>
    </message>
    <message>
        <source>Choose a folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <source>Choose the folder first.</source>
        <translation>请先选择文件夹。</translation>
    </message>
    <message>
        <source>Changes (%d)</source>
        <translation>更改（%d）</translation>
    </message>
    <message>
        <source>Already so (%d)</source>
        <translation>已经如此（%d）</translation>
    </message>
    <message>
        <source>Cannot be carried over (%d)</source>
        <translation>无法迁移（%d）</translation>
    </message>
    <message>
        <source>%d change(s) to make, %d already so, %d line(s) that cannot be carried over.</source>
        <translation>%d 项更改待执行，%d 项已经如此，%d 行无法迁移。</translation>
    </message>
    <message>
        <source>Make the %d change(s) of the preview? The lines that cannot be carried over stay as they are.</source>
        <translation>执行预览中的 %d 项更改？无法迁移的行保持不变。</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>%d change(s) made; %d refused, e.g. %s: %s</source>
        <translation>已执行 %d 项更改；%d 项被拒绝，例如 %s：%s</translation>
    </message>
    <message>
        <source>%d change(s) made.</source>
        <translation>已执行 %d 项更改。</translation>
    </message>
</context>
<context>
    <name>KeyDialog</name>
    <message>
        <source>Backup key — shown once</source>
        <translation>备份密钥——只显示一次</translation>
    </message>
    <message>
        <source>Backups are now encrypted to this key. It is shown only this once and is not kept on this computer: save it to a USB stick or print it, and keep it away from this box. Without it the backups cannot be read.</source>
        <translation>备份现在用这个密钥加密。它只显示这一次，也不会保存在这台电脑上：请把它存到 USB 随身碟或打印出来，并与这台主机分开保管。没有它就无法读取备份。</translation>
    </message>
    <message>
        <source>Backup key</source>
        <translation>备份密钥</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>复制(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Save to file…</source>
        <translation>保存到文件(&amp;S)…</translation>
    </message>
    <message>
        <source>I have kept it &amp;safe</source>
        <translation>我已妥善保存(&amp;S)</translation>
    </message>
    <message>
        <source>Save the backup key</source>
        <translation>保存备份密钥</translation>
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
    <name>LimitsPage</name>
    <message>
        <source>Limits</source>
        <translation>限制</translation>
    </message>
    <message>
        <source>How much the server takes on at once. The defaults suit a small office; lower them on a small machine, raise them only when the logs show refusals.</source>
        <translation>服务器同时能承担多少工作。默认值适合小型办公室；机器较小时调低，只有在日志显示拒绝时才调高。</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>信件</translation>
    </message>
    <message>
        <source>SMTP sessions</source>
        <translation>SMTP 会话</translation>
    </message>
    <message>
        <source>IMAP and POP3 sessions</source>
        <translation>IMAP 和 POP3 会话</translation>
    </message>
    <message>
        <source>Sending out</source>
        <translation>外发</translation>
    </message>
    <message>
        <source>Largest message</source>
        <translation>最大邮件</translation>
    </message>
    <message>
        <source>Recipients per message</source>
        <translation>每封邮件的收件者数</translation>
    </message>
    <message>
        <source>Free disk space to keep</source>
        <translation>保留的可用磁盘空间</translation>
    </message>
    <message>
        <source>SMTP sessions at once</source>
        <translation>同时的 SMTP 会话数</translation>
    </message>
    <message>
        <source>SMTP sessions per address</source>
        <translation>每个地址的 SMTP 会话数</translation>
    </message>
    <message>
        <source>Idle time-out</source>
        <translation>闲置超时</translation>
    </message>
    <message>
        <source>Errors before hanging up</source>
        <translation>断线前允许的错误数</translation>
    </message>
    <message>
        <source>IMAP sessions at once</source>
        <translation>同时的 IMAP 会话数</translation>
    </message>
    <message>
        <source>IMAP sessions per address</source>
        <translation>每个地址的 IMAP 会话数</translation>
    </message>
    <message>
        <source>POP3 sessions at once</source>
        <translation>同时的 POP3 会话数</translation>
    </message>
    <message>
        <source>POP3 sessions per address</source>
        <translation>每个地址的 POP3 会话数</translation>
    </message>
    <message>
        <source>Outgoing connections</source>
        <translation>外发连接数</translation>
    </message>
    <message>
        <source>Connections per domain</source>
        <translation>每个网域的连接数</translation>
    </message>
    <message>
        <source>Connect time-out</source>
        <translation>连接超时</translation>
    </message>
    <message>
        <source>Send from a process of its own</source>
        <translation>由独立进程发信</translation>
    </message>
</context>
<context>
    <name>LoggingPage</name>
    <message>
        <source>Logging</source>
        <translation>日志记录</translation>
    </message>
    <message>
        <source>The mail log (logs/mailroom.log) is started afresh when it reaches its size; the old ones are kept as mailroom.log.1, .2 …</source>
        <translation>邮件日志（logs/mailroom.log）达到设定大小时会重新开始；旧日志保存为 mailroom.log.1、.2 …</translation>
    </message>
    <message>
        <source>Start a new log at</source>
        <translation>新日志的起始大小</translation>
    </message>
    <message>
        <source>Old logs kept</source>
        <translation>保留的旧日志数</translation>
    </message>
</context>
<context>
    <name>LoginProtectionPage</name>
    <message>
        <source>Login protection</source>
        <translation>登录保护</translation>
    </message>
    <message>
        <source>An address that fails to log in too often is banned for a while (the Security page lists the bans). Each new ban of the same address lasts twice as long.</source>
        <translation>登录失败太多次的地址会被封锁一段时间（安全页面列出所有封锁）。同一地址每次再被封锁，时间加倍。</translation>
    </message>
    <message>
        <source>Allow logins without TLS from this machine</source>
        <translation>允许本机不经 TLS 登录</translation>
    </message>
    <message>
        <source>Failures before a ban</source>
        <translation>封锁前允许的失败次数</translation>
    </message>
    <message>
        <source>Counted over</source>
        <translation>统计时间范围</translation>
    </message>
    <message>
        <source>First ban</source>
        <translation>首次封锁</translation>
    </message>
    <message>
        <source>Longest ban</source>
        <translation>最长封锁</translation>
    </message>
    <message>
        <source>Answer a failed login after</source>
        <translation>登录失败后的回应延迟</translation>
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
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>admin: </source>
        <translation>管理员：</translation>
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
        <source>Pages</source>
        <translation>页面</translation>
    </message>
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
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Save page</source>
        <translation>保存页面(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Reload page</source>
        <translation>重新加载页面(&amp;R)</translation>
    </message>
    <message>
        <source>First-run &amp;wizard…</source>
        <translation>首次设置向导(&amp;W)…</translation>
    </message>
    <message>
        <source>&amp;Quit (mail keeps flowing)</source>
        <translation>退出(&amp;Q)（邮件照常收发）</translation>
    </message>
    <message>
        <source>&amp;Daemon</source>
        <translation>服务(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Start</source>
        <translation>启动(&amp;S)</translation>
    </message>
    <message>
        <source>S&amp;top…</source>
        <translation>停止(&amp;T)…</translation>
    </message>
    <message>
        <source>&amp;Restart</source>
        <translation>重启(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Go</source>
        <translation>前往(&amp;G)</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>Degraded</source>
        <translation>部分故障</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在检查…</translation>
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
        <source>ManageSieve (filter editors)</source>
        <translation>ManageSieve（过滤规则编辑器）</translation>
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
        <source>Ports &amp; services</source>
        <translation>端口与服务</translation>
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
        <source>Listen o&amp;n (IP addresses, comma separated):</source>
        <translation>监听地址(&amp;N)（IP 地址，用逗号分隔）:</translation>
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
        <source>stopped</source>
        <translation>已停止</translation>
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
    <name>QueueModel</name>
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
        <source>now</source>
        <translation>现在</translation>
    </message>
    <message>
        <source>(held)</source>
        <translation>（暂停）</translation>
    </message>
    <message>
        <source>on hold</source>
        <translation>暂停中</translation>
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
    <name>QueueTimersPage</name>
    <message>
        <source>Queue timers</source>
        <translation>队列计时</translation>
    </message>
    <message>
        <source>Mail another server does not take at once stays in the queue and is tried again, waiting longer each time, until it is delivered or given up (then the sender gets a bounce).</source>
        <translation>对方服务器没有立即接收的邮件会留在队列中并再次尝试，每次等待更久，直到递送成功或放弃（此时寄件者会收到退信）。</translation>
    </message>
    <message>
        <source>Retries</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Work</source>
        <translation>工作量</translation>
    </message>
    <message>
        <source>First retry after</source>
        <translation>首次重试间隔</translation>
    </message>
    <message>
        <source>Longest wait</source>
        <translation>最长等待</translation>
    </message>
    <message>
        <source>Warn the sender after</source>
        <translation>多久后警告寄件者</translation>
    </message>
    <message>
        <source>Give up after</source>
        <translation>多久后放弃</translation>
    </message>
    <message>
        <source>Messages at once</source>
        <translation>同时处理的邮件数</translation>
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
        <source>Computers on these networks may send mail to any address through this server without logging in (like sendmail&apos;s &lt;tt&gt;Connect:192.168.1 RELAY&lt;/tt&gt;). Everyone else must log in (submission, port 587) or can only send to this server&apos;s own domains. The server refuses the whole Internet; beware of networks that contain your router: behind NAT every outside connection may appear to come from it. Exclude an address with &lt;tt&gt;!&lt;/tt&gt; (&lt;tt&gt;!192.168.1.1&lt;/tt&gt;): exclusions are checked first.</source>
        <translation>这些网络中的电脑无需登录即可通过本服务器寄信到任何地址（如同 sendmail 的 &lt;tt&gt;Connect:192.168.1 RELAY&lt;/tt&gt;）。其他人必须登录（submission，端口 587），否则只能寄信到本服务器自己的网域。服务器拒绝整个互联网；请小心包含路由器的网络：在 NAT 之后，每个外部连接看起来都可能来自路由器。用 &lt;tt&gt;!&lt;/tt&gt; 排除一个地址（&lt;tt&gt;!192.168.1.1&lt;/tt&gt;）：排除项优先检查。</translation>
    </message>
    <message>
        <source>Relay networks</source>
        <translation>中继网络</translation>
    </message>
    <message>
        <source>192.168.1.0/24 or !192.168.1.1</source>
        <translation>192.168.1.0/24 或 !192.168.1.1</translation>
    </message>
    <message>
        <source>&amp;Network (CIDR):</source>
        <translation>网络(&amp;N)（CIDR）:</translation>
    </message>
    <message>
        <source>&amp;Add</source>
        <translation>添加(&amp;A)</translation>
    </message>
    <message>
        <source>Add this mac&amp;hine&apos;s LAN</source>
        <translation>添加本机所在的局域网(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>移除(&amp;R)</translation>
    </message>
    <message>
        <source>Add {0}</source>
        <translation>添加 {0}</translation>
    </message>
    <message>
        <source>No LAN found</source>
        <translation>没有找到局域网</translation>
    </message>
    <message>
        <source></source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
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
    <name>RestoreWizard</name>
    <message>
        <source>Restore a backup</source>
        <translation>恢复备份</translation>
    </message>
    <message>
        <source>Which backup</source>
        <translation>哪个备份</translation>
    </message>
    <message>
        <source>Backup file</source>
        <translation>备份文件</translation>
    </message>
    <message>
        <source>&amp;Choose…</source>
        <translation>选择(&amp;C)…</translation>
    </message>
    <message>
        <source>Backup file:</source>
        <translation>备份文件：</translation>
    </message>
    <message>
        <source>Key (encrypted backups):</source>
        <translation>密钥（加密的备份）：</translation>
    </message>
    <message>
        <source>Where to</source>
        <translation>恢复到哪里</translation>
    </message>
    <message>
        <source>The backup becomes a new, working data directory in an empty folder; the one in use is not touched. Start Mailroom on it with: mailroom --data-dir FOLDER serve (or move it into place while Mailroom is stopped).</source>
        <translation>备份会在一个空文件夹中成为新的、可用的数据目录；正在使用的数据目录不受影响。用以下命令在它上面启动 Mailroom：mailroom --data-dir 文件夹 serve（或在 Mailroom 停止时把它移到原位）。</translation>
    </message>
    <message>
        <source>New data folder</source>
        <translation>新的数据文件夹</translation>
    </message>
    <message>
        <source>New data folder:</source>
        <translation>新的数据文件夹：</translation>
    </message>
    <message>
        <source>Restoring</source>
        <translation>正在恢复</translation>
    </message>
    <message>
        <source>Choose a backup</source>
        <translation>选择备份</translation>
    </message>
    <message>
        <source>Restoring…</source>
        <translation>正在恢复…</translation>
    </message>
    <message>
        <source>Restored {0} files into {1}. Start Mailroom on it with: mailroom --data-dir {1} serve</source>
        <translation>已把 {0} 个文件恢复到 {1}。用以下命令在它上面启动 Mailroom：mailroom --data-dir {1} serve</translation>
    </message>
    <message>
        <source>Not restored: {0}</source>
        <translation>未恢复：{0}</translation>
    </message>
</context>
<context>
    <name>SecurityPage</name>
    <message>
        <source>as automatic bans</source>
        <translation>与自动封锁相同</translation>
    </message>
    <message>
        <source>1 hour</source>
        <translation>1 小时</translation>
    </message>
    <message>
        <source>1 day</source>
        <translation>1 天</translation>
    </message>
    <message>
        <source>1 week</source>
        <translation>1 周</translation>
    </message>
    <message>
        <source>30 days</source>
        <translation>30 天</translation>
    </message>
    <message>
        <source>Security</source>
        <translation>安全</translation>
    </message>
    <message>
        <source>An address that fails to log in too often (SMTP, IMAP or POP3; by default 10 times in 10 minutes) is banned: its connections are refused for 15 minutes, twice as long each time it comes back, up to a day. IPv6 addresses are banned per /64. The relay networks are never banned.</source>
        <translation>登录失败太多次的地址（SMTP、IMAP 或 POP3；默认 10 分钟内 10 次）会被封锁：它的连接被拒绝 15 分钟，每次再犯时间加倍，最长一天。IPv6 地址按 /64 封锁。中继网络永远不会被封锁。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Banned addresses&lt;/b&gt;</source>
        <translation>&lt;b&gt;已封锁的地址&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Until</source>
        <translation>直到</translation>
    </message>
    <message>
        <source>Ban no.</source>
        <translation>封锁次数</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Banned addresses</source>
        <translation>已封锁的地址</translation>
    </message>
    <message>
        <source>&amp;Unban</source>
        <translation>解除封锁(&amp;U)</translation>
    </message>
    <message>
        <source>Lift the selected ban now</source>
        <translation>立即解除选中的封锁</translation>
    </message>
    <message>
        <source>&amp;Address:</source>
        <translation>地址(&amp;A):</translation>
    </message>
    <message>
        <source>203.0.113.7 or 2001:db8:1:2::/64</source>
        <translation>203.0.113.7 或 2001:db8:1:2::/64</translation>
    </message>
    <message>
        <source>Ban length</source>
        <translation>封锁时长</translation>
    </message>
    <message>
        <source>&amp;Ban by hand</source>
        <translation>手动封锁(&amp;B)</translation>
    </message>
    <message>
        <source>&lt;b&gt;Recent failed logins&lt;/b&gt;</source>
        <translation>&lt;b&gt;最近的登录失败&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>账号</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Recent failed logins</source>
        <translation>最近的登录失败</translation>
    </message>
    <message>
        <source>{0} is no longer banned.</source>
        <translation>{0} 已解除封锁。</translation>
    </message>
    <message>
        <source>Type the address to ban.</source>
        <translation>请输入要封锁的地址。</translation>
    </message>
    <message>
        <source>{0} is banned until {1}.</source>
        <translation>{0} 已被封锁，直到 {1}。</translation>
    </message>
</context>
<context>
    <name>SenderChecksPage</name>
    <message>
        <source>Sender checks</source>
        <translation>寄件者检查</translation>
    </message>
    <message>
        <source>Checks that mail from outside really comes from the domain it names, and that your own users send only as themselves.</source>
        <translation>检查外部邮件是否真的来自它声称的网域，以及你自己的用户是否只以自己的身份寄信。</translation>
    </message>
    <message>
        <source>Mail from outside</source>
        <translation>外部邮件</translation>
    </message>
    <message>
        <source>Your users</source>
        <translation>你的用户</translation>
    </message>
    <message>
        <source>Check SPF, DKIM, DMARC and ARC</source>
        <translation>检查 SPF、DKIM、DMARC 和 ARC</translation>
    </message>
    <message>
        <source>Failing DMARC with p=reject</source>
        <translation>DMARC 失败且 p=reject</translation>
    </message>
    <message>
        <source>Failing SPF (-all)</source>
        <translation>SPF 失败（-all）</translation>
    </message>
    <message>
        <source>Forged own domain</source>
        <translation>伪造我们的网域</translation>
    </message>
    <message>
        <source>DNS time-out</source>
        <translation>DNS 超时</translation>
    </message>
    <message>
        <source>Refuse our own domains from outside</source>
        <translation>拒绝外部使用我们的网域</translation>
    </message>
    <message>
        <source>Users send only as their own addresses</source>
        <translation>用户只能用自己的地址寄信</translation>
    </message>
    <message>
        <source>Refuse it (550)</source>
        <translation>拒收（550）</translation>
    </message>
    <message>
        <source>File it as junk</source>
        <translation>放入垃圾信</translation>
    </message>
    <message>
        <source>Accept it</source>
        <translation>接受</translation>
    </message>
</context>
<context>
    <name>SettingsForm</name>
    <message>
        <source>{0} day</source>
        <translation>{0} 天</translation>
    </message>
    <message>
        <source>{0} days</source>
        <translation>{0} 天</translation>
    </message>
    <message>
        <source>{0} hour</source>
        <translation>{0} 小时</translation>
    </message>
    <message>
        <source>{0} hours</source>
        <translation>{0} 小时</translation>
    </message>
    <message>
        <source>{0} minute</source>
        <translation>{0} 分钟</translation>
    </message>
    <message>
        <source>{0} minutes</source>
        <translation>{0} 分钟</translation>
    </message>
    <message>
        <source>bytes</source>
        <translation>字节</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从不</translation>
    </message>
    <message>
        <source>comma separated</source>
        <translation>用逗号分隔</translation>
    </message>
    <message>
        <source>Default: {0}</source>
        <translation>默认：{0}</translation>
    </message>
    <message>
        <source>Range: {0} to {1}</source>
        <translation>范围：{0} 到 {1}</translation>
    </message>
    <message>
        <source>(hidden)</source>
        <translation>（已隐藏）</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation>（空）</translation>
    </message>
    <message>
        <source>stored; type a new one to replace it</source>
        <translation>已保存；输入新值即可取代</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>未设置</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
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
        <source>ISP relay</source>
        <translation>ISP 中继</translation>
    </message>
    <message>
        <source>Many internet providers block mail sent straight from an office line. Then all outside mail goes through the provider&apos;s relay (a smarthost), logged in with the account the provider gave you. Leave the host empty to deliver directly.</source>
        <translation>许多网络服务商会封锁直接从办公室线路寄出的邮件。这时所有外部邮件都要通过服务商的中继（smarthost）寄出，并用服务商给你的账号登录。主机留空则直接递送。</translation>
    </message>
    <message>
        <source>Relay</source>
        <translation>中继</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>主机</translation>
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
        <source>Check the relay&apos;s TLS certificate</source>
        <translation>检查中继的 TLS 证书</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>STARTTLS (usually port 587)</source>
        <translation>STARTTLS（通常是端口 587）</translation>
    </message>
    <message>
        <source>TLS (usually port 465)</source>
        <translation>TLS（通常是端口 465）</translation>
    </message>
    <message>
        <source>None: plain text (only inside a trusted network)</source>
        <translation>无：明文（仅限可信网络内）</translation>
    </message>
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
        <source>Send a t&amp;est</source>
        <translation>寄出测试信(&amp;E)</translation>
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
    <name>SpamPage</name>
    <message>
        <source>Spam &amp; virus</source>
        <translation>垃圾信与病毒</translation>
    </message>
    <message>
        <source>Mail from outside is scored for spam: sender checks (SPF, DKIM, DMARC), DNS blocklists, the sender&apos;s name and address, and rspamd when it is installed. From the junk score on, mail is marked as spam and filed into the Junk folder; from the reject score on, it is refused. Viruses (with ClamAV) and the attachment types below are refused for all mail.</source>
        <translation>外部邮件会被评分以识别垃圾信：寄件者检查（SPF、DKIM、DMARC）、DNS 黑名单、寄件者的名称和地址，以及已安装时的 rspamd。达到垃圾信分数的邮件会被标为垃圾信并放入垃圾信夹；达到拒收分数的邮件会被拒收。病毒（使用 ClamAV）和下列附件类型对所有邮件都会被拒收。</translation>
    </message>
    <message>
        <source>Spam scores</source>
        <translation>垃圾信分数</translation>
    </message>
    <message>
        <source>DNS blocklists</source>
        <translation>DNS 黑名单</translation>
    </message>
    <message>
        <source>rspamd</source>
        <translation>rspamd</translation>
    </message>
    <message>
        <source>Viruses (ClamAV)</source>
        <translation>病毒（ClamAV）</translation>
    </message>
    <message>
        <source>Attachments</source>
        <translation>附件</translation>
    </message>
    <message>
        <source>Score mail from outside for spam</source>
        <translation>为外部邮件评分以识别垃圾信</translation>
    </message>
    <message>
        <source>Junk from score</source>
        <translation>垃圾信分数线</translation>
    </message>
    <message>
        <source>Refuse from score</source>
        <translation>拒收分数线</translation>
    </message>
    <message>
        <source>Blocklists</source>
        <translation>黑名单</translation>
    </message>
    <message>
        <source>Scanner address</source>
        <translation>扫描器地址</translation>
    </message>
    <message>
        <source>Controller address</source>
        <translation>控制器地址</translation>
    </message>
    <message>
        <source>Controller password</source>
        <translation>控制器密码</translation>
    </message>
    <message>
        <source>Time-out</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>Scan every message for viruses</source>
        <translation>扫描每封邮件的病毒</translation>
    </message>
    <message>
        <source>clamd address</source>
        <translation>clamd 地址</translation>
    </message>
    <message>
        <source>When clamd cannot be reached</source>
        <translation>无法连到 clamd 时</translation>
    </message>
    <message>
        <source>Largest message scanned</source>
        <translation>扫描的最大邮件</translation>
    </message>
    <message>
        <source>Refused file types</source>
        <translation>拒收的文件类型</translation>
    </message>
    <message>
        <source>Keep mail waiting (451: the sender tries again later)</source>
        <translation>让邮件等待（451：寄件者稍后重试）</translation>
    </message>
    <message>
        <source>Accept mail unscanned</source>
        <translation>不扫描直接接受</translation>
    </message>
    <message>
        <source>Engines</source>
        <translation>引擎</translation>
    </message>
    <message>
        <source>rspamd state</source>
        <translation>rspamd 状态</translation>
    </message>
    <message>
        <source>clamd state</source>
        <translation>clamd 状态</translation>
    </message>
    <message>
        <source>Test result</source>
        <translation>测试结果</translation>
    </message>
    <message>
        <source>&amp;Test</source>
        <translation>测试(&amp;T)</translation>
    </message>
    <message>
        <source>Ask rspamd and clamd whether they answer (with the saved settings) and scan the EICAR test file, which clamd must find</source>
        <translation>询问 rspamd 和 clamd 是否回应（使用已保存的设置），并扫描 EICAR 测试文件，clamd 必须找到它</translation>
    </message>
    <message>
        <source>rspamd: press Test to see whether it answers.</source>
        <translation>rspamd：按“测试”看它是否回应。</translation>
    </message>
    <message>
        <source>clamd: press Test to see whether it answers.</source>
        <translation>clamd：按“测试”看它是否回应。</translation>
    </message>
    <message>
        <source>Testing…</source>
        <translation>正在测试…</translation>
    </message>
    <message>
        <source>rspamd: not used (no scanner address); the built-in checks score alone.</source>
        <translation>rspamd：未使用（没有扫描器地址）；仅由内建检查评分。</translation>
    </message>
    <message>
        <source>rspamd: answers at {0}.</source>
        <translation>rspamd：在 {0} 回应。</translation>
    </message>
    <message>
        <source>Its controller does not ({0}): moving mail into or out of Junk teaches it nothing.</source>
        <translation>它的控制器没有回应（{0}）：把邮件移入或移出垃圾信夹不会让它学习。</translation>
    </message>
    <message>
        <source>rspamd: does not answer at {0} ({1}).</source>
        <translation>rspamd：在 {0} 没有回应（{1}）。</translation>
    </message>
    <message>
        <source>clamd: answers at {0} ({1}).</source>
        <translation>clamd：在 {0} 回应（{1}）。</translation>
    </message>
    <message>
        <source>Virus scanning is off.</source>
        <translation>病毒扫描已关闭。</translation>
    </message>
    <message>
        <source>clamd: does not answer at {0} ({1}).</source>
        <translation>clamd：在 {0} 没有回应（{1}）。</translation>
    </message>
    <message>
        <source>The EICAR test file was found: {0}.</source>
        <translation>已找到 EICAR 测试文件：{0}。</translation>
    </message>
    <message>
        <source>clamd did not find the EICAR test file: its signatures are missing or out of date.</source>
        <translation>clamd 没有找到 EICAR 测试文件：它的病毒特征库缺失或已过期。</translation>
    </message>
    <message>
        <source>No virus test: clamd did not answer.</source>
        <translation>没有病毒测试：clamd 没有回应。</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>&amp;Open Mailroom</source>
        <translation>打开 Mailroom(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Restart services</source>
        <translation>重启服务(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Pause incoming mail</source>
        <translation>暂停收信(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Quit (mail keeps flowing)</source>
        <translation>退出(&amp;Q)（邮件照常收发）</translation>
    </message>
</context>
<context>
    <name>TrayState</name>
    <message>
        <source>Mailroom is stopped</source>
        <translation>Mailroom 已停止</translation>
    </message>
    <message>
        <source>Mailroom: checking…</source>
        <translation>Mailroom：正在检查…</translation>
    </message>
    <message>
        <source>incoming mail paused</source>
        <translation>已暂停收信</translation>
    </message>
    <message>
        <source>disk space low: new mail refused</source>
        <translation>磁盘空间不足：拒收新邮件</translation>
    </message>
    <message>
        <source>Mailroom degraded: {0}</source>
        <translation>Mailroom 部分故障：{0}</translation>
    </message>
    <message>
        <source>Mailroom: all services up</source>
        <translation>Mailroom：所有服务运行中</translation>
    </message>
    <message>
        <source>{0} is not running</source>
        <translation>{0} 未运行</translation>
    </message>
    <message>
        <source>daemon crashed</source>
        <translation>服务意外终止</translation>
    </message>
    <message>
        <source>Last output: {0}</source>
        <translation>最后输出：{0}</translation>
    </message>
    <message>
        <source>Mailroom daemon stopped unexpectedly</source>
        <translation>Mailroom 服务意外停止</translation>
    </message>
    <message>
        <source>Queue: {0} message</source>
        <translation>队列：{0} 封信</translation>
    </message>
    <message>
        <source>Queue: {0} messages</source>
        <translation>队列：{0} 封信</translation>
    </message>
    <message>
        <source> (+{0} more)</source>
        <translation>（另有 {0} 条）</translation>
    </message>
    <message>
        <source>Last: {0}</source>
        <translation>最近：{0}</translation>
    </message>
    <message>
        <source>Mailroom stopped</source>
        <translation>Mailroom 已停止</translation>
    </message>
    <message>
        <source>The mail server daemon is not running.</source>
        <translation>邮件服务器服务未运行。</translation>
    </message>
    <message>
        <source>daemon stopped</source>
        <translation>服务已停止</translation>
    </message>
    <message>
        <source>Mailroom degraded</source>
        <translation>Mailroom 部分故障</translation>
    </message>
    <message>
        <source>incoming mail resumed</source>
        <translation>已恢复收信</translation>
    </message>
    <message>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>{0} {1}</source>
        <translation>{0} {1}</translation>
    </message>
    <message>
        <source>delivered to {0}</source>
        <translation>已递送到 {0}</translation>
    </message>
    <message>
        <source>deferred for {0}</source>
        <translation>寄给 {0} 的信已延迟</translation>
    </message>
    <message>
        <source>bounced: {0}</source>
        <translation>已退信：{0}</translation>
    </message>
    <message>
        <source>Mail bounced</source>
        <translation>邮件被退回</translation>
    </message>
    <message>
        <source>{0}: to {1}</source>
        <translation>{0}：寄给 {1}</translation>
    </message>
    <message>
        <source>DNS check failing</source>
        <translation>DNS 检查失败</translation>
    </message>
    <message>
        <source>DNS records need attention</source>
        <translation>DNS 记录需要处理</translation>
    </message>
    <message>
        <source>disk space low</source>
        <translation>磁盘空间不足</translation>
    </message>
    <message>
        <source>Disk space low</source>
        <translation>磁盘空间不足</translation>
    </message>
    <message>
        <source>The data directory is nearly full: new mail is refused until there is room (queue.minfree).</source>
        <translation>数据目录快满了：在有足够空间之前拒收新邮件（queue.minfree）。</translation>
    </message>
    <message>
        <source>disk space back</source>
        <translation>磁盘空间已恢复</translation>
    </message>
    <message>
        <source>Mail queue is growing</source>
        <translation>邮件队列正在增长</translation>
    </message>
    <message>
        <source>{0} messages are waiting in the queue.</source>
        <translation>有 {0} 封信在队列中等待。</translation>
    </message>
</context>
<context>
    <name>WebmailPage</name>
    <message>
        <source>Webmail</source>
        <translation>网页邮件</translation>
    </message>
    <message>
        <source>Read and send mail from a web browser with Roundcube. Users log in with their mail account; their filters (the Filters tab) are the same Sieve rules as on the Filters page. Roundcube, PHP and the web server come from Debian; Mailroom writes their configuration and runs them.</source>
        <translation>用 Roundcube 在网页浏览器中收发邮件。用户用自己的邮件账号登录；他们的过滤规则（过滤标签页）与过滤页面上的 Sieve 规则相同。Roundcube、PHP 和网页服务器来自 Debian；Mailroom 写入它们的设置并运行它们。</translation>
    </message>
    <message>
        <source>Now</source>
        <translation>现在</translation>
    </message>
    <message>
        <source>Webmail state</source>
        <translation>网页邮件状态</translation>
    </message>
    <message>
        <source>State:</source>
        <translation>状态：</translation>
    </message>
    <message>
        <source>Webmail address</source>
        <translation>网页邮件地址</translation>
    </message>
    <message>
        <source>Address:</source>
        <translation>地址：</translation>
    </message>
    <message>
        <source>Packages:</source>
        <translation>软件包：</translation>
    </message>
    <message>
        <source>Users&apos; settings:</source>
        <translation>用户设置：</translation>
    </message>
    <message>
        <source>Serving</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>HTTPS port</source>
        <translation>HTTPS 端口</translation>
    </message>
    <message>
        <source>HTTPS &amp;port:</source>
        <translation>HTTPS 端口(&amp;P):</translation>
    </message>
    <message>
        <source>Served at /webmail with Mailroom&apos;s TLS certificate. Port 443 is the browser&apos;s default; remember to open the port in the firewall (Ports page).</source>
        <translation>以 Mailroom 的 TLS 证书在 /webmail 提供服务。端口 443 是浏览器的默认端口；记得在防火墙中打开该端口（端口页面）。</translation>
    </message>
    <message>
        <source>&amp;Enable webmail</source>
        <translation>启用网页邮件(&amp;E)</translation>
    </message>
    <message>
        <source>Configure Roundcube and start serving it</source>
        <translation>设置 Roundcube 并开始提供服务</translation>
    </message>
    <message>
        <source>D&amp;isable webmail</source>
        <translation>停用网页邮件(&amp;I)</translation>
    </message>
    <message>
        <source>Stop serving; the users&apos; settings are kept</source>
        <translation>停止服务；保留用户设置</translation>
    </message>
    <message>
        <source>Enabled but not serving: {0}</source>
        <translation>已启用但未提供服务：{0}</translation>
    </message>
    <message>
        <source>the web server is not running</source>
        <translation>网页服务器未运行</translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation>已停用</translation>
    </message>
    <message>
        <source>Missing: {0}. As root: {1}</source>
        <translation>缺少：{0}。以 root 执行：{1}</translation>
    </message>
    <message>
        <source>Roundcube, PHP and nginx are installed</source>
        <translation>Roundcube、PHP 和 nginx 已安装</translation>
    </message>
    <message>
        <source>kept in {0}</source>
        <translation>保存在 {0}</translation>
    </message>
    <message>
        <source>none yet (made at the first login)</source>
        <translation>尚无（首次登录时建立）</translation>
    </message>
    <message>
        <source>&amp;Apply port</source>
        <translation>应用端口(&amp;A)</translation>
    </message>
    <message>
        <source>Serving on {0}</source>
        <translation>在 {0} 提供服务</translation>
    </message>
    <message>
        <source>Webmail is off.</source>
        <translation>网页邮件已关闭。</translation>
    </message>
    <message>
        <source>Starting the webmail…</source>
        <translation>正在启动网页邮件…</translation>
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
    <name>_KeyField</name>
    <message>
        <source>Backup key</source>
        <translation>备份密钥</translation>
    </message>
    <message>
        <source>From &amp;file…</source>
        <translation>从文件(&amp;F)…</translation>
    </message>
    <message>
        <source>The backup key file</source>
        <translation>备份密钥文件</translation>
    </message>
</context>
<context>
    <name>page</name>
    <message>
        <source>{0} min</source>
        <translation>{0} 分钟</translation>
    </message>
    <message>
        <source>{0} h</source>
        <translation>{0} 小时</translation>
    </message>
    <message>
        <source>{0} days</source>
        <translation>{0} 天</translation>
    </message>
</context>
<context>
    <name>services</name>
    <message>
        <source>{0} (port {1})</source>
        <translation>{0}（端口 {1}）</translation>
    </message>
    <message>
        <source>IMAP</source>
        <translation>IMAP</translation>
    </message>
    <message>
        <source>IMAP over TLS</source>
        <translation>IMAP over TLS</translation>
    </message>
    <message>
        <source>ManageSieve</source>
        <translation>ManageSieve</translation>
    </message>
    <message>
        <source>POP3</source>
        <translation>POP3</translation>
    </message>
    <message>
        <source>POP3 over TLS</source>
        <translation>POP3 over TLS</translation>
    </message>
    <message>
        <source>SMTP</source>
        <translation>SMTP</translation>
    </message>
    <message>
        <source>SMTP over TLS</source>
        <translation>SMTP over TLS</translation>
    </message>
    <message>
        <source>STARTTLS</source>
        <translation>STARTTLS</translation>
    </message>
    <message>
        <source>Submission</source>
        <translation>Submission</translation>
    </message>
    <message>
        <source>TLS</source>
        <translation>TLS</translation>
    </message>
    <message>
        <source>Webmail</source>
        <translation>网页邮件</translation>
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
        <translation>POP3 监听（STARTTLS，在 POP3 中称为 STLS）</translation>
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
        <source>sign and send outside mail from a second process, so that receiving and sending use two cores (off: all in the daemon&apos;s one process)</source>
        <translation>在第二个进程中签名并发送外发邮件，使收信和发信使用两个 CPU 核心（关闭：全部在守护进程的一个进程中）</translation>
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
