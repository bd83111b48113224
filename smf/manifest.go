package smf

import (
	_ "embed"
	"encoding/xml"
	"fmt"
)

// Manifest is smf/zoneup.xml as delivered to
// /var/svc/manifest/application/zoneup.xml.
//
//go:embed zoneup.xml
var Manifest []byte

// ConfigDefaults returns the service's property group config from the
// manifest as KEY -> value: the configuration an imported instance starts
// with. The daemon's tests hold daemon.Defaults to it.
func ConfigDefaults() (map[string]string, error) {
	kv, _, err := ConfigProperties()
	return kv, err
}

// ConfigProperties returns the manifest's config property group as
// KEY -> value and KEY -> SMF type. The daemon's tests hold its key table
// (daemon.ConfigKeys) to both.
func ConfigProperties() (values, types map[string]string, err error) {
	var sb struct {
		Services []struct {
			PropertyGroups []struct {
				Name     string `xml:"name,attr"`
				Propvals []struct {
					Name  string `xml:"name,attr"`
					Type  string `xml:"type,attr"`
					Value string `xml:"value,attr"`
				} `xml:"propval"`
			} `xml:"property_group"`
		} `xml:"service"`
	}
	if err := xml.Unmarshal(Manifest, &sb); err != nil {
		return nil, nil, fmt.Errorf("zoneup.xml: %w", err)
	}
	if len(sb.Services) != 1 {
		return nil, nil, fmt.Errorf("zoneup.xml: %d services, want 1", len(sb.Services))
	}
	for _, pg := range sb.Services[0].PropertyGroups {
		if pg.Name == "config" {
			values, types = map[string]string{}, map[string]string{}
			for _, p := range pg.Propvals {
				values[p.Name], types[p.Name] = p.Value, p.Type
			}
			return values, types, nil
		}
	}
	return nil, nil, fmt.Errorf("zoneup.xml: no property group config")
}
