import os
from pathlib import Path

from alertdrill.stack.local.nodes import VirtualNode, disk_used_bytes, rss_bytes


def test_figures_come_from_real_bytes_and_real_rss(tmp_path: Path) -> None:
    node = VirtualNode(name="n", memory_bytes=512 * 2**20, disk_bytes=256 * 2**20, root=tmp_path / "n")
    node.make_dirs()
    (node.data_dir / "blob").write_bytes(b"x" * (8 * 2**20))
    assert disk_used_bytes(node.data_dir) >= 8 * 2**20
    used = node.memory_used([os.getpid()])
    assert used == rss_bytes(os.getpid()) > 0
    node.write_figures(used)
    meminfo = (node.proc_dir / "meminfo").read_text()
    assert f"MemTotal:       {512 * 1024} kB" in meminfo
    assert f"MemAvailable:   {(512 * 2**20 - used) // 1024} kB" in meminfo
    prom = (node.textfile_dir / "filesystem.prom").read_text()
    avail = 256 * 2**20 - disk_used_bytes(node.data_dir)
    assert f'node_filesystem_avail_bytes{{device="/dev/vda1",fstype="ext4",mountpoint="/"}} {avail}' in prom
    assert 'fstype="tmpfs",mountpoint="/run"' in prom  # nearly full tmpfs the rules must ignore
