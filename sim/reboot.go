package sim

// Reboot does to a world what a host reboot does: every process is gone
// (zone and image locks are cleared), running zones come back installed
// with their roots unmounted, legacy mounts are gone while zone BEs with a
// mountpoint of their own (detached zones) are mounted again, and then the
// zones service boots the zones with autoboot set.
func Reboot(dir string) error {
	st, err := openStore(dir)
	if err != nil {
		return err
	}
	defer st.close()
	return st.locked(true, func(w *world) error {
		w.Locks = map[string]opLock{}
		for _, z := range w.Zones {
			if z.State == "running" || z.State == "ready" {
				z.State, z.ID, z.BootedAt = "installed", 0, 0
			}
		}
		w.NextID = 1
		for _, d := range w.Datasets {
			if !d.Data {
				continue
			}
			mp, _ := w.effectiveMountpoint(d)
			switch {
			case mp == "legacy" || mp == "none":
				if err := w.unmountDataset(d); err != nil {
					return err
				}
			case d.Mounted == "" && d.Canmount == "on" && d.Zoned != "on":
				if err := w.mountDataset(d, mp); err != nil {
					return err
				}
			}
		}
		for _, z := range w.Zones {
			if z.Autoboot && z.State == "installed" {
				// A zone that fails to boot stays installed, as svc:/system/zones leaves it.
				w.boot(z)
			}
		}
		return nil
	})
}
