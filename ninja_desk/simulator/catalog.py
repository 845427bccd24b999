"""Static, realistic vocabulary the fleet generator draws from (names, software, hardware).

Kept as plain tuples so generation is a matter of indexing with a seeded RNG, which keeps a
10,000-device fleet fast to build and identical for the same seed.
"""

from __future__ import annotations

ORG_PREFIXES = (
    "Contoso", "Fabrikam", "Northwind", "Adventure Works", "Tailspin", "Wingtip", "Litware",
    "Proseware", "Alpine Ski", "Blue Yonder", "Coho Winery", "Fourth Coffee", "Humongous",
    "Lucerne", "Margie's Travel", "Trey Research", "Woodgrove", "Graphic Design", "Relecloud",
    "Southridge", "VanArsdel", "Wide World", "Tasmanian Traders", "Bellows College", "Datum",
)
ORG_SUFFIXES = ("Ltd", "Inc", "GmbH", "LLC", "Partners", "Group", "Legal", "Dental", "Clinic")
LOCATION_NAMES = ("Main Office", "Warehouse", "Branch Office", "Data Center", "Remote Site",
                  "Headquarters", "Lab", "Retail Store")
STREETS = ("Example Way", "Market Street", "Harbour Road", "Station Lane", "Oak Avenue",
           "Mill Road", "King Street", "Park Drive")
FIRST_NAMES = ("jdoe", "asmith", "mjones", "lchen", "rpatel", "kmuller", "sgarcia", "tnguyen",
               "ebrown", "dkim", "omartin", "fschmidt", "hwilson", "ylee", "cmoreau", "bdavis")

# (nodeClass, weight per mille). Mostly Windows workstations, like a real MSP tenant.
NODE_CLASS_WEIGHTS = (
    ("WINDOWS_WORKSTATION", 560), ("WINDOWS_SERVER", 100), ("MAC", 80),
    ("LINUX_WORKSTATION", 25), ("LINUX_SERVER", 50), ("VMWARE_VM_HOST", 15),
    ("VMWARE_VM_GUEST", 40), ("HYPERV_VMM_GUEST", 30), ("NMS_SWITCH", 30), ("NMS_ROUTER", 20),
    ("NMS_PRINTER", 30), ("NMS_FIREWALL", 10), ("NMS_WAP", 5), ("MAC_SERVER", 5),
)
AGENT_CLASSES = frozenset({"WINDOWS_WORKSTATION", "WINDOWS_SERVER", "MAC", "MAC_SERVER",
                           "LINUX_WORKSTATION", "LINUX_SERVER"})
# deviceType is the schema name of the polymorphic Device (reference §7.2).
DEVICE_TYPE_BY_CLASS = {
    "VMWARE_VM_HOST": "VMHost", "VMWARE_VM_GUEST": "VMGuest", "HYPERV_VMM_GUEST": "VMGuest",
}
# (nodeRoleId, rolePolicyId) per class: role ids are per-tenant; these are plausible ones.
ROLE_BY_CLASS = {
    "WINDOWS_WORKSTATION": (1, 5), "WINDOWS_SERVER": (1002, 57), "MAC": (3, 8),
    "MAC_SERVER": (4, 9), "LINUX_WORKSTATION": (5, 10), "LINUX_SERVER": (6, 11),
    "VMWARE_VM_HOST": (9, 43), "VMWARE_VM_GUEST": (10, 44), "HYPERV_VMM_GUEST": (11, 45),
    "NMS_SWITCH": (20, 60), "NMS_ROUTER": (21, 61), "NMS_PRINTER": (22, 62),
    "NMS_FIREWALL": (23, 63), "NMS_WAP": (24, 64),
}
NAME_PREFIX_BY_CLASS = {
    "WINDOWS_WORKSTATION": "WS", "WINDOWS_SERVER": "SRV", "MAC": "MBP", "MAC_SERVER": "XSRV",
    "LINUX_WORKSTATION": "LNX", "LINUX_SERVER": "LSRV", "VMWARE_VM_HOST": "esxi",
    "VMWARE_VM_GUEST": "VM", "HYPERV_VMM_GUEST": "HVVM", "NMS_SWITCH": "SW", "NMS_ROUTER": "RTR",
    "NMS_PRINTER": "PRN", "NMS_FIREWALL": "FW", "NMS_WAP": "WAP",
}

# (manufacturer, name, buildNumber, releaseId, architecture)
WINDOWS_WS_OS = (
    ("Microsoft Corporation", "Windows 11 Professional Edition", "26100", "24H2", "64-bit"),
    ("Microsoft Corporation", "Windows 11 Professional Edition", "22631", "23H2", "64-bit"),
    ("Microsoft Corporation", "Windows 10 Professional Edition", "19045", "22H2", "64-bit"),
    ("Microsoft Corporation", "Windows 11 Enterprise Edition", "26100", "24H2", "64-bit"),
)
WINDOWS_SRV_OS = (
    ("Microsoft Corporation", "Windows Server 2022 Standard Edition", "20348", "21H2", "64-bit"),
    ("Microsoft Corporation", "Windows Server 2019 Standard Edition", "17763", "1809", "64-bit"),
    ("Microsoft Corporation", "Windows Server 2025 Datacenter Edition", "26100", "24H2",
     "64-bit"),
    ("Microsoft Corporation", "Windows Server 2016 Standard Edition", "14393", "1607", "64-bit"),
)
MAC_OS = (
    ("Apple Inc.", "macOS Sequoia", "24G84", "15.6", "arm64"),
    ("Apple Inc.", "macOS Sonoma", "23H626", "14.7", "arm64"),
    ("Apple Inc.", "macOS Ventura", "22H625", "13.7", "x86_64"),
)
LINUX_OS = (
    ("Canonical", "Ubuntu 24.04.3 LTS", "6.8.0-85-generic", "24.04", "x86_64"),
    ("Canonical", "Ubuntu 22.04.5 LTS", "5.15.0-153-generic", "22.04", "x86_64"),
    ("Red Hat", "Red Hat Enterprise Linux 9.6 (Plow)", "5.14.0-570", "9.6", "x86_64"),
    ("Debian", "Debian GNU/Linux 12 (bookworm)", "6.1.0-40-amd64", "12", "x86_64"),
)
# (manufacturer, model, chassisType, virtual)
HARDWARE_WS = (
    ("Dell Inc.", "Latitude 5440", "LAPTOP", False),
    ("Dell Inc.", "OptiPlex 7010", "DESKTOP", False),
    ("HP", "HP EliteBook 840 G10", "LAPTOP", False), ("HP", "HP ProDesk 400 G9", "DESKTOP", False),
    ("LENOVO", "ThinkPad T14 Gen 4", "LAPTOP", False), ("LENOVO", "ThinkCentre M70q", "DESKTOP",
                                                         False),
    ("Microsoft Corporation", "Surface Laptop 5", "LAPTOP", False),
    ("System manufacturer", "System Product Name", "DESKTOP", False),
)
HARDWARE_SRV = (
    ("Dell Inc.", "PowerEdge R650", "DESKTOP", False), ("HPE", "ProLiant DL380 Gen10", "DESKTOP",
                                                        False),
    ("Microsoft Corporation", "Virtual Machine", "DESKTOP", True),
    ("VMware, Inc.", "VMware7,1", "UNKNOWN", True), ("LENOVO", "ThinkSystem SR630", "DESKTOP",
                                                     False),
)
HARDWARE_MAC = (
    ("Apple Inc.", "MacBook Pro (14-inch, 2023)", "LAPTOP", False),
    ("Apple Inc.", "MacBook Air (M2, 2022)", "LAPTOP", False),
    ("Apple Inc.", "Mac mini (2023)", "DESKTOP", False),
)
CPUS = (
    ("Intel(R) Core(TM) i5-1345U", 1600000000, 10, 12, "x64"),
    ("Intel(R) Core(TM) i7-13700", 2100000000, 16, 24, "x64"),
    ("AMD Ryzen 5 PRO 7530U with Radeon Graphics", 2000000000, 6, 12, "x64"),
    ("Intel(R) Xeon(R) Gold 6258R CPU @ 2.70GHz", 2694000000, 7, 14, "x64"),
    ("Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz", 2394000000, 16, 32, "x64"),
    ("Apple M2", 3490000000, 8, 8, "arm64"),
    ("Intel(R) Core(TM) i5-8500 CPU @ 3.00GHz", 3000000000, 6, 6, "x64"),
)
MEMORY_GB = (8, 16, 16, 16, 32, 32, 64)
SERVER_MEMORY_GB = (32, 64, 64, 128, 256)
JUNK_SERIALS = ("To be filled by O.E.M.", "0", "Default string", "None")

NMS_MODELS = {
    "NMS_SWITCH": ("Cisco", "Catalyst 9200L-24P"), "NMS_ROUTER": ("MikroTik", "RB5009UG+S+"),
    "NMS_PRINTER": ("HP", "LaserJet Pro M404dn"), "NMS_FIREWALL": ("Fortinet", "FortiGate 60F"),
    "NMS_WAP": ("Ubiquiti", "U6-Pro"),
}

# Software: (name, publisher, versions, has_msi). `{v}` in a name is the version.
WINDOWS_SOFTWARE = (
    ("7-Zip {v} (x64)", "Igor Pavlov", ("23.01", "24.08", "24.09"), True),
    ("Google Chrome", "Google LLC", ("140.0.7339.208", "141.0.7390.66", "139.0.7258.155"), True),
    ("Microsoft Edge", "Microsoft Corporation", ("140.0.3485.81", "141.0.3537.57"), False),
    ("Mozilla Firefox (x64 en-US)", "Mozilla", ("143.0.1", "144.0", "128.3.1esr"), False),
    ("Microsoft 365 Apps for business - en-us", "Microsoft Corporation",
     ("16.0.19127.20264", "16.0.19231.20194"), False),
    ("Microsoft Teams", "Microsoft Corporation", ("25255.703.3902.8888", "25227.203.3864.2840"),
     False),
    ("Microsoft OneDrive", "Microsoft Corporation", ("25.164.0824.0003", "25.149.0803.0002"),
     False),
    ("Adobe Acrobat Reader (64-bit)", "Adobe", ("25.001.20756", "24.005.20421"), True),
    ("Zoom Workplace (64-bit)", "Zoom Communications, Inc.", ("6.5.12", "6.4.10"), True),
    ("Notepad++ (64-bit x64)", "Notepad++ Team", ("8.8.5", "8.7.9"), False),
    ("VLC media player", "VideoLAN", ("3.0.21", "3.0.20"), False),
    ("Microsoft Visual C++ 2015-2022 Redistributable (x64) - {v}", "Microsoft Corporation",
     ("14.44.35211", "14.42.34438"), True),
    ("Microsoft Visual C++ 2015-2022 Redistributable (x86) - {v}", "Microsoft Corporation",
     ("14.44.35211", "14.40.33810"), True),
    ("Microsoft Visual C++ 2013 Redistributable (x64) - {v}", "Microsoft Corporation",
     ("12.0.40664",), True),
    ("Microsoft Visual C++ 2010  x64 Redistributable - {v}", "Microsoft Corporation",
     ("10.0.40219",), True),
    ("Microsoft .NET Runtime - {v} (x64)", "Microsoft Corporation", ("8.0.20", "9.0.9"), True),
    ("Microsoft Windows Desktop Runtime - {v} (x64)", "Microsoft Corporation", ("8.0.20", "6.0.36"),
     True),
    ("Microsoft ASP.NET Core {v} - Shared Framework (x64)", "Microsoft Corporation",
     ("8.0.20",), True),
    ("Microsoft Update Health Tools", "Microsoft Corporation", ("5.72.0.0", "3.74.0.0"), True),
    ("Microsoft Edge WebView2 Runtime", "Microsoft Corporation", ("140.0.3485.81",), False),
    ("Microsoft GameInput", "Microsoft Corporation", ("10.1.26100.4768",), True),
    ("Windows PC Health Check", "Microsoft Corporation", ("3.9.2503.14001",), True),
    ("NinjaRMMAgent", "NinjaRMM LLC", ("5.9.1158", "6.0.3211"), True),
    ("NinjaOne Patcher", "NinjaRMM LLC", ("1.3.5",), True),
    ("Splashtop Streamer", "Splashtop Inc.", ("3.7.4.0", "3.7.2.4"), True),
    ("TeamViewer", "TeamViewer", ("15.70.4", "15.68.5"), False),
    ("Bitdefender Endpoint Security Tools", "Bitdefender", ("7.9.21.455", "7.9.19.427"), False),
    ("SentinelOne Agent", "SentinelOne", ("24.1.5.277", "23.4.4.223"), True),
    ("Sophos Endpoint Agent", "Sophos Limited", ("2024.3.2.1",), False),
    ("Webroot SecureAnywhere", "Webroot", ("9.0.39.50",), False),
    ("ESET Endpoint Security", "ESET, spol. s r.o.", ("12.0.2045.0", "11.1.2052.0"), True),
    ("Git", "The Git Development Community", ("2.51.0", "2.49.0"), False),
    ("Python 3.12.10 (64-bit)", "Python Software Foundation", ("3.12.10150.0",), True),
    ("Python Launcher", "Python Software Foundation", ("3.12.10150.0",), True),
    ("Microsoft Visual Studio Code", "Microsoft Corporation", ("1.104.2", "1.103.1"), False),
    ("PuTTY release {v} (64-bit)", "Simon Tatham", ("0.83", "0.81"), True),
    ("WinSCP {v}", "Martin Prikryl", ("6.5.3", "6.3.7"), False),
    ("FileZilla {v}", "Tim Kosse", ("3.69.3",), False),
    ("Greenshot {v}", "Greenshot", ("1.3.290",), False),
    ("Java 8 Update 461 (64-bit)", "Oracle Corporation", ("8.0.4610.11",), True),
    ("Eclipse Temurin JRE with Hotspot 17.0.16+8 (x64)", "Eclipse Adoptium", ("17.0.16.8",), True),
    ("Dell Command | Update", "Dell Inc.", ("5.5.0",), True),
    ("Dell SupportAssist", "Dell Inc.", ("4.8.3.2131",), True),
    ("HP Support Assistant", "HP Inc.", ("9.42.13.0",), True),
    ("Lenovo Vantage Service", "Lenovo Group Ltd.", ("4.3.56.0",), False),
    ("Intel(R) Management Engine Components", "Intel Corporation", ("2406.5.5.0",), True),
    ("Intel(R) Graphics Driver", "Intel Corporation", ("31.0.101.5590",), False),
    ("Realtek High Definition Audio Driver", "Realtek Semiconductor Corp.", ("6.0.9549.1",),
     False),
    ("NVIDIA Graphics Driver {v}", "NVIDIA Corporation", ("581.29", "576.88"), False),
    ("Cisco Secure Client - AnyConnect VPN", "Cisco Systems, Inc.", ("5.1.8.105",), True),
    ("FortiClient VPN", "Fortinet Technologies Inc", ("7.4.3.1790",), True),
    ("WireGuard", "WireGuard LLC", ("0.5.3",), True),
    ("Slack (Machine - MSI)", "Slack Technologies Inc.", ("4.46.99",), True),
    ("Citrix Workspace 2409", "Citrix Systems, Inc.", ("24.9.10.238",), False),
    ("Microsoft Remote Desktop", "Microsoft Corporation", ("1.2.6424.0",), True),
    ("Snagit 2024", "TechSmith Corporation", ("24.3.0.5462",), True),
    ("Foxit PDF Reader", "Foxit Software Inc.", ("2025.2.0.33046",), False),
    ("LibreOffice 25.2.6.2", "The Document Foundation", ("25.2.6.2",), True),
    ("QuickBooks Desktop Pro 2024", "Intuit Inc.", ("34.0.4001.3404",), False),
    ("Sage 50 Accounting 2025", "Sage Software", ("32.1.0",), False),
    ("Microsoft SQL Server 2019 (64-bit)", "Microsoft Corporation", ("15.0.4430.1",), False),
    ("Microsoft SQL Server Management Studio - 20.2", "Microsoft Corporation", ("20.2.37.0",),
     False),
    ("Veeam Agent for Microsoft Windows", "Veeam Software Group GmbH", ("6.3.2.1205",), True),
    ("Microsoft Azure AD Connect", "Microsoft Corporation", ("2.5.3.0",), True),
    ("Google Drive", "Google LLC", ("112.0.1.0",), False),
    ("Dropbox", "Dropbox, Inc.", ("233.4.4938",), False),
    ("Spotify", "Spotify AB", ("1.2.72.438",), False),
    ("KeePass Password Safe 2.59", "Dominik Reichl", ("2.59",), False),
    ("Bitwarden", "Bitwarden Inc.", ("2025.9.0",), False),
    ("AutoHotkey", "AutoHotkey Foundation LLC", ("2.0.19",), False),
    ("PowerShell 7-x64", "Microsoft Corporation", ("7.5.3.0", "7.4.12.0"), True),
    ("Windows Subsystem for Linux", "Microsoft Corporation", ("2.6.1.0",), True),
    ("Microsoft Power BI Desktop (x64)", "Microsoft Corporation", ("2.147.1085.0",), True),
    ("Microsoft Project - en-us", "Microsoft Corporation", ("16.0.19127.20264",), False),
    ("Microsoft Visio - en-us", "Microsoft Corporation", ("16.0.19127.20264",), False),
    ("Grammarly for Windows", "Grammarly", ("1.2.191.1716",), False),
    ("Logitech Options+", "Logitech", ("1.93.766744",), False),
    ("Poly Lens Desktop", "HP Inc.", ("1.3.4",), True),
    ("Epson Scan 2", "Seiko Epson Corporation", ("6.5.40.0",), False),
    ("Brother MFL-Pro Suite", "Brother Industries, Ltd.", ("1.0.5.0",), True),
    ("Wireshark 4.4.9 x64", "The Wireshark developer community", ("4.4.9",), False),
    ("Npcap", "Nmap Project", ("1.83",), False),
    ("Node.js", "Node.js Foundation", ("22.19.0", "20.19.5"), True),
    ("Docker Desktop", "Docker Inc.", ("4.46.0",), False),
    ("Postman x64", "Postman", ("11.64.3",), False),
    ("Microsoft Intune Management Extension", "Microsoft Corporation", ("1.93.102.0",), True),
    ("Microsoft Policy Platform", "Microsoft Corporation", ("68.1.1010.0",), True),
    ("Local Administrator Password Solution", "Microsoft Corporation", ("6.2.0.0",), True),
    ("Windows Driver Package - Intel (e1dexpress) Net", "Intel", ("12.19.2.45",), False),
    ("UniFi Network Application", "Ubiquiti Inc.", ("9.4.19",), False),
)
MAC_SOFTWARE = tuple(
    (name, pub, vers, False)
    for name, pub, vers in (
        ("Google Chrome", "Google LLC", ("141.0.7390.66", "140.0.7339.208")),
        ("Safari", "Apple Inc.", ("18.6", "17.6")), ("Microsoft Word", "Microsoft Corporation",
                                                     ("16.101.2",)),
        ("Microsoft Excel", "Microsoft Corporation", ("16.101.2",)),
        ("Microsoft PowerPoint", "Microsoft Corporation", ("16.101.2",)),
        ("Microsoft Outlook", "Microsoft Corporation", ("16.101.2",)),
        ("Microsoft OneNote", "Microsoft Corporation", ("16.101.2",)),
        ("Microsoft Teams", "Microsoft Corporation", ("25255.703.3902",)),
        ("OneDrive", "Microsoft Corporation", ("25.164.0824",)),
        ("Microsoft Edge", "Microsoft Corporation", ("141.0.3537.57",)),
        ("Microsoft AutoUpdate", "Microsoft Corporation", ("4.80",)),
        ("Microsoft Defender", "Microsoft Corporation", ("101.25082.0004",)),
        ("Zoom.us", "Zoom Communications, Inc.", ("6.5.12",)),
        ("Slack", "Slack Technologies, Inc.", ("4.46.99",)),
        ("Firefox", "Mozilla", ("144.0",)), ("1Password 7", "AgileBits Inc.", ("7.9.11",)),
        ("Adobe Acrobat Reader", "Adobe Inc.", ("25.001.20756",)),
        ("Adobe Creative Cloud", "Adobe Inc.", ("6.7.0.278",)),
        ("Adobe Photoshop 2025", "Adobe Inc.", ("26.10.0",)),
        ("Adobe Illustrator 2025", "Adobe Inc.", ("29.8.1",)),
        ("Keynote", "Apple Inc.", ("14.4",)), ("Pages", "Apple Inc.", ("14.4",)),
        ("Numbers", "Apple Inc.", ("14.4",)), ("GarageBand", "Apple Inc.", ("10.4.12",)),
        ("iMovie", "Apple Inc.", ("10.4.3",)), ("Xcode", "Apple Inc.", ("26.0.1", "16.4")),
        ("Visual Studio Code", "Microsoft Corporation", ("1.104.2",)),
        ("iTerm", "George Nachman", ("3.6.4",)), ("Docker", "Docker Inc.", ("4.46.0",)),
        ("NinjaRMMAgent", "NinjaRMM LLC", ("6.0.3211",)),
        ("Splashtop Streamer", "Splashtop Inc.", ("3.7.4.0",)),
        ("TeamViewer", "TeamViewer Germany GmbH", ("15.70.4",)),
        ("VLC", "VideoLAN", ("3.0.21",)), ("The Unarchiver", "MacPaw Inc.", ("4.3.9",)),
        ("Rectangle", "Ryan Hanson", ("0.91",)), ("Spotify", "Spotify AB", ("1.2.72",)),
        ("Dropbox", "Dropbox, Inc.", ("233.4.4938",)),
        ("Google Drive", "Google LLC", ("112.0.1",)),
        ("Bitwarden", "Bitwarden Inc.", ("2025.9.0",)),
        ("Cisco Secure Client", "Cisco Systems, Inc.", ("5.1.8.105",)),
        ("FortiClient", "Fortinet", ("7.4.3.1790",)),
        ("WireGuard", "WireGuard Development Team", ("1.0.16",)),
        ("Postman", "Postman, Inc.", ("11.64.3",)), ("Sublime Text", "Sublime HQ", ("4200",)),
        ("Figma", "Figma, Inc.", ("125.8.8",)), ("Notion", "Notion Labs, Inc.", ("4.20.1",)),
        ("Grammarly Desktop", "Grammarly", ("1.128.0",)),
        ("Logi Options+", "Logitech", ("1.93.766744",)),
        ("Citrix Workspace", "Citrix Systems, Inc.", ("25.08.10",)),
        ("Windows App", "Microsoft Corporation", ("11.2.0",)),
        ("Homebrew", "Homebrew", ("4.6.15",)), ("Python", "Python Software Foundation",
                                                ("3.12.10",)),
        ("Node.js", "Node.js Foundation", ("22.19.0",)), ("Git", "Git", ("2.51.0",)),
        ("Wireshark", "Wireshark Foundation", ("4.4.9",)),
        ("Transmit 5", "Panic Inc.", ("5.10.9",)), ("Alfred 5", "Running with Crayons Ltd",
                                                    ("5.6",)),
        ("Magnet", "CrowdCafe", ("2.14.0",)), ("CleanMyMac", "MacPaw Inc.", ("5.1.2",)),
        ("Parallels Desktop", "Parallels International GmbH", ("26.1.1",)),
        ("Sophos Endpoint", "Sophos Limited", ("2024.3.2",)),
        ("SentinelOne Extensions", "SentinelOne", ("24.3.2",)),
        ("Jamf Connect", "Jamf", ("2.45.1",)), ("Company Portal", "Microsoft Corporation",
                                                 ("5.2508.0",)),
    )
)
LINUX_SOFTWARE = tuple(
    (name, pub, (ver,), False)
    for name, pub, ver in (
        ("openssl", "OpenSSL", "3.0.13"), ("openssh-server", "OpenBSD", "9.6p1"),
        ("openssh-client", "OpenBSD", "9.6p1"), ("curl", "curl", "8.5.0"),
        ("wget", "GNU", "1.21.4"), ("bash", "GNU", "5.2.21"), ("coreutils", "GNU", "9.4"),
        ("systemd", "systemd", "255.4"), ("sudo", "sudo project", "1.9.15p5"),
        ("python3", "Python Software Foundation", "3.12.3"), ("perl", "Perl", "5.38.2"),
        ("git", "Git", "2.43.0"), ("vim", "Vim", "9.1.0016"), ("nano", "GNU", "7.2"),
        ("rsync", "Samba", "3.2.7"), ("tar", "GNU", "1.35"), ("gzip", "GNU", "1.12"),
        ("xz-utils", "Tukaani", "5.4.5"), ("zstd", "Meta", "1.5.5"), ("bzip2", "bzip2", "1.0.8"),
        ("libc6", "GNU", "2.39"), ("libssl3", "OpenSSL", "3.0.13"), ("zlib1g", "zlib", "1.3"),
        ("ca-certificates", "Mozilla", "20240203"), ("tzdata", "IANA", "2025b"),
        ("cron", "ISC", "3.0pl1"), ("rsyslog", "Adiscon", "8.2312.0"),
        ("logrotate", "logrotate", "3.21.0"), ("iproute2", "Linux Foundation", "6.1.0"),
        ("iptables", "netfilter", "1.8.10"), ("nftables", "netfilter", "1.0.9"),
        ("ufw", "Canonical", "0.36.2"), ("apparmor", "Canonical", "4.0.1"),
        ("snapd", "Canonical", "2.68.5"), ("ubuntu-advantage-tools", "Canonical", "34"),
        ("unattended-upgrades", "Debian", "2.9.1"), ("apt", "Debian", "2.7.14"),
        ("dpkg", "Debian", "1.22.6"), ("grub-efi-amd64", "GNU", "2.12"),
        ("linux-image-generic", "Canonical", "6.8.0.85"), ("linux-firmware", "Linux", "20240318"),
        ("nginx", "NGINX", "1.24.0"), ("apache2", "Apache Software Foundation", "2.4.58"),
        ("mysql-server", "Oracle", "8.0.43"), ("postgresql-16", "PostgreSQL", "16.10"),
        ("redis-server", "Redis", "7.0.15"), ("docker-ce", "Docker Inc.", "28.4.0"),
        ("containerd.io", "Docker Inc.", "1.7.28"), ("php8.3", "PHP Group", "8.3.6"),
        ("nodejs", "Node.js Foundation", "20.19.5"), ("openjdk-17-jre", "OpenJDK", "17.0.16"),
        ("samba", "Samba", "4.19.5"), ("nfs-common", "Linux NFS", "2.6.4"),
        ("chrony", "chrony", "4.5"), ("fail2ban", "fail2ban", "1.0.2"),
        ("htop", "htop", "3.3.0"), ("tmux", "tmux", "3.4"), ("jq", "jq", "1.7.1"),
        ("unzip", "Info-ZIP", "6.0"), ("zip", "Info-ZIP", "3.0"), ("lsof", "lsof", "4.95.0"),
        ("strace", "strace", "6.8"), ("tcpdump", "tcpdump", "4.99.4"),
        ("net-tools", "net-tools", "2.10"), ("dnsutils", "ISC", "9.18.39"),
        ("ninjarmm-agent", "NinjaRMM LLC", "6.0.3211"), ("qemu-guest-agent", "QEMU", "8.2.2"),
        ("open-vm-tools", "VMware", "12.4.5"), ("cloud-init", "Canonical", "25.1.4"),
        ("firefox", "Mozilla", "144.0"), ("libreoffice-core", "The Document Foundation", "24.2.7"),
        ("gnome-shell", "GNOME", "46.0"), ("code", "Microsoft Corporation", "1.104.2"),
    )
)

WINDOWS_OS_PATCHES = (
    # (name template, kb, type, severity)
    ("2025-10 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5066835)",
     "KB5066835", "SECURITY_UPDATES", "CRITICAL"),
    ("2025-10 Cumulative Update for .NET Framework 3.5 and 4.8.1 for Windows 11 (KB5066128)",
     "KB5066128", "SECURITY_UPDATES", "IMPORTANT"),
    ("Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version "
     "1.439.92.0)", "KB2267602", "DEFINITION_UPDATES", "OPTIONAL"),
    ("Windows Malicious Software Removal Tool x64 - v5.136 (KB890830)", "KB890830",
     "UPDATE_ROLLUPS", "MODERATE"),
    ("2025-09 Cumulative Update Preview for Windows 11 Version 24H2 (KB5065789)", "KB5065789",
     "REGULAR_UPDATES", "OPTIONAL"),
    ("2025-10 Servicing Stack Update for Windows Server 2022 (KB5066782)", "KB5066782",
     "CRITICAL_UPDATES", "IMPORTANT"),
    ("Intel - System - 2406.5.5.0", "", "DRIVER_UPDATES", "OPTIONAL"),
    ("Feature update to Windows 11, version 25H2", "KB5054156", "FEATURE_PACKS", "OPTIONAL"),
    ("2025-10 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5066791)",
     "KB5066791", "SECURITY_UPDATES", "CRITICAL"),
    ("Microsoft Edge-Stable Channel Version 141 Update", "", "REGULAR_UPDATES", "MODERATE"),
)
SOFTWARE_PATCH_TITLES = (
    ("Google Chrome 141.0.7390.66", "CRITICAL"), ("Mozilla Firefox 144.0", "RECOMMENDED"),
    ("Adobe Acrobat Reader 25.001.20813", "CRITICAL"), ("Zoom Workplace 6.5.12", "RECOMMENDED"),
    ("7-Zip 25.01", "OPTIONAL"), ("Notepad++ 8.8.6", "OPTIONAL"), ("VLC media player 3.0.21",
                                                                    "RECOMMENDED"),
    ("Java 8 Update 471", "CRITICAL"), ("Microsoft Visual Studio Code 1.105.0", "OPTIONAL"),
    ("TeamViewer 15.71.4", "RECOMMENDED"), ("PuTTY 0.83", "RECOMMENDED"),
)
# (productName, version, productCode-ish)
AV_PRODUCTS = (
    ("Windows Defender", "4.18.25080.5"), ("Bitdefender Endpoint Security Tools", "7.9.21.455"),
    ("SentinelOne", "24.1.5.277"), ("Sophos Intercept X", "2024.3.2.1"),
    ("Webroot SecureAnywhere", "9.0.39.50"), ("ESET Endpoint Security", "12.0.2045.0"),
)
AV_THREATS = (
    ("Trojan:Win32/Wacatac.B!ml", "TROJAN", "SEVERE"),
    ("PUA:Win32/Presenoker", "PUA", "LOW"),
    ("HackTool:Win32/Keygen", "HACKTOOL", "MODERATE"),
)
ALERT_KINDS = (
    # (sourceType, message, data code, params, severity, priority, conditionName)
    ("CONDITION_AGENT_CPU", "CPU Utilization is greater than or equal to 90% for 15 minutes",
     "agent_cond_cpu_ge", {"duration": 15, "threshold": 90, "unit": "%"}, "MAJOR", "HIGH",
     "CPU high"),
    ("CONDITION_AGENT_DISK_FREE_SPACE", "Disk free space on C: is less than 10%",
     "agent_cond_disk_free_lt", {"threshold": 10, "unit": "%", "target": "C:"}, "CRITICAL",
     "HIGH", "Low disk space"),
    ("CONDITION_WINDOWS_EVENT_LOG_TRIGGERED",
     "EventId: 41, Source: Microsoft-Windows-Kernel-Power, Message: The system has rebooted "
     "without cleanly shutting down first.", "agent_cond_eventlog2",
     {"event_id": "41", "event_source": "Microsoft-Windows-Kernel-Power"}, "MAJOR", "HIGH",
     "Unexpected shutdown"),
    ("CONDITION_AGENT_MEMORY", "Memory Utilization is greater than or equal to 80% for 5 minutes",
     "agent_cond_memory_usage_ge", {"duration": 5, "threshold": 80, "unit": "%"}, "MODERATE",
     "MEDIUM", "Memory high"),
    ("CONDITION_PENDING_REBOOT", "Device has been pending reboot for more than 7 days",
     "agent_cond_pending_reboot", {"days": 7}, "MINOR", "LOW", "Pending reboot"),
    ("CONDITION_WINDOWS_SERVICE_STATE_CHANGED", "Service 'Print Spooler' is not running",
     "agent_cond_service_state", {"service": "Spooler", "state": "STOPPED"}, "MODERATE", "MEDIUM",
     "Service stopped"),
)
