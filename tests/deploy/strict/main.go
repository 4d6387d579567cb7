// strict-decode: the second schema check of tests/deploy/chart_test.sh. kubernetes-models' schemas accept unknown
// fields, so a misspelt field name would pass them; here each object is decoded into the Kubernetes API's own Go
// type (k8s.io/api, the version Helm v4.3.2 builds with) with unknown fields refused, as `kubectl apply
// --validate=strict` would. Reads a JSON array of objects on stdin; prints one line per object and per problem;
// exits 1 on any problem. A kind it has no type for is a problem unless it is one kubernetes-models cannot
// check either and validate_manifests.js checks with its own schema (the ServiceMonitor).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

func types() map[string]func() any {
	return map[string]func() any{
		"v1/Namespace":                                    func() any { return &corev1.Namespace{} },
		"v1/ServiceAccount":                               func() any { return &corev1.ServiceAccount{} },
		"v1/ConfigMap":                                    func() any { return &corev1.ConfigMap{} },
		"v1/Secret":                                       func() any { return &corev1.Secret{} },
		"v1/Service":                                      func() any { return &corev1.Service{} },
		"v1/PersistentVolumeClaim":                        func() any { return &corev1.PersistentVolumeClaim{} },
		"apps/v1/DaemonSet":                               func() any { return &appsv1.DaemonSet{} },
		"apps/v1/Deployment":                              func() any { return &appsv1.Deployment{} },
		"policy/v1/PodDisruptionBudget":                   func() any { return &policyv1.PodDisruptionBudget{} },
		"networking.k8s.io/v1/NetworkPolicy":              func() any { return &networkingv1.NetworkPolicy{} },
		"rbac.authorization.k8s.io/v1/ClusterRole":        func() any { return &rbacv1.ClusterRole{} },
		"rbac.authorization.k8s.io/v1/ClusterRoleBinding": func() any { return &rbacv1.ClusterRoleBinding{} },
		"rbac.authorization.k8s.io/v1/Role":               func() any { return &rbacv1.Role{} },
		"rbac.authorization.k8s.io/v1/RoleBinding":        func() any { return &rbacv1.RoleBinding{} },
	}
}

// Checked elsewhere (validate_manifests.js, against a schema of its own).
var ownSchema = map[string]bool{"monitoring.coreos.com/v1/ServiceMonitor": true}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Println("cannot read stdin:", err)
		os.Exit(2)
	}
	var objects []json.RawMessage
	if err := json.Unmarshal(in, &objects); err != nil {
		fmt.Println("stdin is not a JSON array:", err)
		os.Exit(2)
	}
	known, problems := types(), 0
	for _, raw := range objects {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(raw, &head)
		key, id := head.APIVersion+"/"+head.Kind, head.Kind+"/"+head.Metadata.Name
		make, ok := known[key]
		if !ok {
			if ownSchema[key] {
				fmt.Printf("OWN %s (%s: schema in validate_manifests.js)\n", id, key)
				continue
			}
			fmt.Printf("PROBLEM %s: no Go type for %s\n", id, key)
			problems++
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(make()); err != nil {
			fmt.Printf("PROBLEM %s: %v\n", id, err)
			problems++
			continue
		}
		fmt.Printf("OK %s (%s, strict)\n", id, key)
	}
	fmt.Printf("%d objects, %d problems (strict decode)\n", len(objects), problems)
	if problems > 0 {
		os.Exit(1)
	}
}
