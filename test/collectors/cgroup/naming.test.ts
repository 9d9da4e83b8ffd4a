import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nameCgroup } from '../../../collectors/cgroup/naming.js';

const ID = 'c3b1f0e2a9d84e7f6b5a4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f';
const UID = '0a1b2c3d-4e5f-6789-abcd-ef0123456789';

describe('nameCgroup: paths as people know them', () => {
  it.each([
    ['/', { kind: 'root', name: '/' }],
    ['/system.slice', { kind: 'slice', name: 'system.slice' }],
    ['/system.slice/nginx.service', { kind: 'service', name: 'nginx.service' }],
    ['/user.slice/user-1000.slice', { kind: 'slice', name: 'user-1000.slice' }],
    ['/user.slice/user-1000.slice/user@1000.service', { kind: 'service', name: 'user@1000.service' }],
    ['/user.slice/user-1000.slice/session-3.scope', { kind: 'scope', name: 'session-3.scope' }],
    ['/system.slice/var-lib-docker.mount', { kind: 'unit', name: 'var-lib-docker.mount' }],
    ['/process_api/ea7c00ff', { kind: 'other', name: 'ea7c00ff' }],
    [`/system.slice/docker-${ID}.scope`, { kind: 'container', name: `docker:${ID.slice(0, 12)}`, containerId: ID, runtime: 'docker' }],
    [`/docker/${ID}`, { kind: 'container', name: `docker:${ID.slice(0, 12)}`, containerId: ID, runtime: 'docker' }],
    [`/machine.slice/libpod-${ID}.scope`, { kind: 'container', containerId: ID, runtime: 'podman' }],
    [`/machine.slice/libpod-conmon-${ID}.scope`, { kind: 'container-monitor', containerId: ID, runtime: 'podman' }],
    [`/libpod_parent/libpod-${ID}`, { kind: 'container', containerId: ID, runtime: 'podman' }],
    [`/system.slice/crio-${ID}.scope`, { kind: 'container', containerId: ID, runtime: 'cri-o' }],
    [`/system.slice/crio-conmon-${ID}.scope`, { kind: 'container-monitor', containerId: ID, runtime: 'cri-o' }],
    ['/lxc.payload.web1', { kind: 'container', name: 'lxc:web1', containerId: 'web1', runtime: 'lxc' }],
    ['/lxc/web2', { kind: 'container', name: 'lxc:web2', containerId: 'web2', runtime: 'lxc' }],
  ])('%s', (path, want) => {
    expect(nameCgroup(path)).toMatchObject(want);
  });

  it('Kubernetes with the systemd driver: QoS slices, pod slices (underscored UID) and containers', () => {
    expect(nameCgroup('/kubepods.slice')).toEqual({ kind: 'kubepods', name: 'kubepods.slice' });
    expect(nameCgroup('/kubepods.slice/kubepods-burstable.slice')).toEqual({ kind: 'kubepods', name: 'kubepods-burstable.slice', qos: 'burstable' });
    const pod = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice`;
    expect(nameCgroup(pod)).toEqual({ kind: 'pod', name: `pod:${UID}`, podUid: UID, runtime: 'kubernetes', qos: 'burstable' });
    expect(nameCgroup(`${pod}/cri-containerd-${ID}.scope`)).toEqual({ kind: 'container', name: `containerd:${ID.slice(0, 12)}`, containerId: ID, podUid: UID, runtime: 'containerd', qos: 'burstable' });
    expect(nameCgroup(`${pod}/crio-${ID}.scope`)).toMatchObject({ kind: 'container', containerId: ID, podUid: UID, runtime: 'cri-o' });
    // guaranteed pods sit right under kubepods.slice
    expect(nameCgroup(`/kubepods.slice/kubepods-pod${UID.replace(/-/g, '_')}.slice`)).toMatchObject({ kind: 'pod', podUid: UID, qos: 'guaranteed' });
    expect(nameCgroup(`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID.replace(/-/g, '_')}.slice`)).toMatchObject({ kind: 'pod', qos: 'besteffort' });
  });

  it('Kubernetes with the cgroupfs driver: /kubepods/<qos>/pod<uid>/<container id>', () => {
    expect(nameCgroup(`/kubepods/burstable/pod${UID}`)).toEqual({ kind: 'pod', name: `pod:${UID}`, podUid: UID, runtime: 'kubernetes', qos: 'burstable' });
    expect(nameCgroup(`/kubepods/burstable/pod${UID}/${ID}`)).toEqual({ kind: 'container', name: `kubernetes:${ID.slice(0, 12)}`, containerId: ID, podUid: UID, runtime: 'kubernetes', qos: 'burstable' });
    expect(nameCgroup(`/kubepods/pod${UID}/${ID}`)).toMatchObject({ kind: 'container', podUid: UID, qos: 'guaranteed' });
    expect(nameCgroup('/kubepods/besteffort')).toEqual({ kind: 'kubepods', name: 'besteffort', qos: 'besteffort' });
  });

  it('a cgroup below a container (systemd inside it) keeps the container id', () => {
    expect(nameCgroup(`/system.slice/docker-${ID}.scope/init.scope`)).toMatchObject({ kind: 'scope', name: 'init.scope', containerId: ID, runtime: 'docker' });
  });

  it('does not mistake look-alikes: short ids, uppercase hex, pod dirs outside kubepods', () => {
    expect(nameCgroup('/system.slice/docker-abc.scope')).toEqual({ kind: 'scope', name: 'docker-abc.scope' });
    expect(nameCgroup(`/docker/${ID.toUpperCase()}`)).toEqual({ kind: 'other', name: ID.toUpperCase() });
    expect(nameCgroup(`/pod${UID}`)).toEqual({ kind: 'other', name: `pod${UID}` });
    expect(nameCgroup(`/${ID}`)).toEqual({ kind: 'other', name: ID });
  });

  it('never throws and always names something, whatever the path', () => {
    const comp = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('kubepods', 'kubepods.slice', 'burstable', `pod${UID}`, `docker-${ID}.scope`, ID, 'docker', 'lxc', 'x.service'));
    fc.assert(
      fc.property(fc.array(comp, { maxLength: 8 }), (parts) => {
        const n = nameCgroup('/' + parts.join('/'));
        expect(typeof n.kind).toBe('string');
        expect(typeof n.name).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * Paths captured on real hosts, from coroot-node-agent's tests (github.com/coroot/coroot-node-agent,
 * cgroup/cgroup_test.go at 89a16af8031bc238b4ba83dd726ac9f205ee2871, Apache-2.0): layouts diag
 * named wrongly before (a static pod's 32-hex UID, crun's `.scope/container` child, the systemd
 * driver's triple left as a directory name).
 */
describe('nameCgroup: real Kubernetes and runtime layouts', () => {
  it.each([
    // static pod (UID = manifest hash), cgroupfs driver: was kind "other", no pod
    ['/kubepods/burstable/pod9729a196c4723b60ab401eaff722982d/d166c6190614efc91956b78e96d74c3fbc96ca8e91948c36de3bc5b0e7b27d48',
      { kind: 'container', name: 'kubernetes:d166c6190614', containerId: 'd166c6190614efc91956b78e96d74c3fbc96ca8e91948c36de3bc5b0e7b27d48', podUid: '9729a196c4723b60ab401eaff722982d', runtime: 'kubernetes', qos: 'burstable' }],
    // static pod, systemd driver, containerd without .scope: the pod UID was lost
    ['/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod3e61c214bc3ed9ff81e21474dd6cba17.slice/cri-containerd-c74b0f5062f0bc726cae1e9369ad4a95deed6b298d247f0407475adb23fa3190',
      { kind: 'container', name: 'containerd:c74b0f5062f0', containerId: 'c74b0f5062f0bc726cae1e9369ad4a95deed6b298d247f0407475adb23fa3190', podUid: '3e61c214bc3ed9ff81e21474dd6cba17', runtime: 'containerd', qos: 'burstable' }],
    ['/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod3e61c214bc3ed9ff81e21474dd6cba17.slice',
      { kind: 'pod', name: 'pod:3e61c214bc3ed9ff81e21474dd6cba17', podUid: '3e61c214bc3ed9ff81e21474dd6cba17', runtime: 'kubernetes', qos: 'burstable' }],
    // CRI-O with crun: the container's processes in .scope/container: was kind "other", name "container"
    ['/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podea19ff5d_943a_4466_a07e_a71e9e50cc62.slice/crio-21572039dd8398ff8272b031fa5422a40165145ab37f2f8794e1e7f844fe8118.scope/container',
      { kind: 'container', name: 'cri-o:21572039dd83', containerId: '21572039dd8398ff8272b031fa5422a40165145ab37f2f8794e1e7f844fe8118', podUid: 'ea19ff5d-943a-4466-a07e-a71e9e50cc62', runtime: 'cri-o', qos: 'burstable' }],
    ['/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2942c55e_c9cb_428a_93f4_eaf89c1f3ce0.slice/crio-49f9e8e5395d57c1083996c09e2e6f042d5fe1ec0310facab32f94912b35ce59.scope',
      { kind: 'container', name: 'cri-o:49f9e8e5395d', podUid: '2942c55e-c9cb-428a-93f4-eaf89c1f3ce0', runtime: 'cri-o', qos: 'burstable' }],
    // the systemd triple as one directory under containerd.service: was kind "other"
    ['/system.slice/containerd.service/kubepods-burstable-pod4ed02c0b_0df8_4d14_a30e_fd589ee4143a.slice:cri-containerd:d4a9f9195eaf7e4a729f24151101e1de61f1398677e7b82acfb936dff0b4ce55',
      { kind: 'container', name: 'containerd:d4a9f9195eaf', containerId: 'd4a9f9195eaf7e4a729f24151101e1de61f1398677e7b82acfb936dff0b4ce55', podUid: '4ed02c0b-0df8-4d14-a30e-fd589ee4143a', runtime: 'containerd', qos: 'burstable' }],
    ['/kubepods/poda48c12e8-255a-11e9-8cd9-0007cb0b2cc8/crio-63425c4a8b4291744a79dd9011fddc7a1f8ffda61f65d72196aa01d00cae2e2e',
      { kind: 'container', name: 'cri-o:63425c4a8b42', podUid: 'a48c12e8-255a-11e9-8cd9-0007cb0b2cc8', runtime: 'cri-o', qos: 'guaranteed' }],
    ['/system.slice/cri-containerd-69e8ded3c33c9d5e2b93acd74787b17a8629f74d6707bc5bb9b2e095337d0263.scope',
      { kind: 'container', name: 'containerd:69e8ded3c33c', runtime: 'containerd' }],
  ])('%s', (path, want) => {
    expect(nameCgroup(path)).toEqual(want.kind === 'container' && !('containerId' in want) ? expect.objectContaining(want) : want);
  });

  it('a `container` child is the container only right under a container: elsewhere it is just a directory', () => {
    expect(nameCgroup('/system.slice/container')).toMatchObject({ kind: 'other', name: 'container' });
    expect(nameCgroup(`/machine.slice/libpod-conmon-${ID}.scope/container`)).toMatchObject({ kind: 'other', name: 'container' });
    expect(nameCgroup(`/machine.slice/libpod-${ID}.scope/container`)).toMatchObject({ kind: 'container', name: `podman:${ID.slice(0, 12)}`, containerId: ID });
    expect(nameCgroup(`/machine.slice/libpod-${ID}.scope/x/container`)).toMatchObject({ kind: 'other' });
  });

  it('a 32-hex pod directory counts only under kubepods; a triple with an unknown runtime prefix is not a container', () => {
    expect(nameCgroup('/system.slice/pod9729a196c4723b60ab401eaff722982d')).toMatchObject({ kind: 'other' });
    expect(nameCgroup(`/x/kubepods-pod${'a'.repeat(32)}.slice:runq:${ID}`)).toMatchObject({ kind: 'other' });
  });
});

/**
 * Paths from falcosecurity/plugins, plugins/container/test/matchers.cpp at
 * 6e63699f8b22a3d855a26ee1eca251d79708289c (Apache-2.0): a ceph monitor run by podman with
 * --cgroups=split (quadlet: the container is `libpod-payload-<id>` under the unit; Falco's
 * libsinsp lists the `.scope` and `.scope/container` forms too), and the containerd systemd triple
 * at the top level with a static pod's 32-hex UID. diag named the payload "other" before.
 */
describe('nameCgroup: podman split cgroups and the top-level triple (Falco\'s real paths)', () => {
  const CEPH = '/system.slice/system-ceph-f952f5be-565c-11f0-ab72-0affea283157.slice/ceph-f952f5be-565c-11f0-ab72-0affea283157@mon.ip-10-0-25-96.service';
  const PID = '9cc35a907a1e4e7ac8c021758b2bb28db60b3a787115f9114a641bf44f8ba99b';
  it.each([`${CEPH}/libpod-payload-${PID}`, `${CEPH}/libpod-payload-${PID}.scope`, `${CEPH}/libpod-payload-${PID}.scope/container`])('%s', (path) => {
    expect(nameCgroup(path)).toEqual({ kind: 'container', name: 'podman:9cc35a907a1e', containerId: PID, runtime: 'podman' });
  });
  it('the unit above the payload stays the service', () => {
    expect(nameCgroup(CEPH)).toEqual({ kind: 'service', name: 'ceph-f952f5be-565c-11f0-ab72-0affea283157@mon.ip-10-0-25-96.service' });
  });
  it('/kubepods-burstable-pod<32 hex>.slice:cri-containerd:<id>', () => {
    expect(nameCgroup('/kubepods-burstable-podbd12dd3393227d950605a2444b13c27a.slice:cri-containerd:d52db56a9c80d536a91354c0951c061187ca46249e64865a12703003d8f42366')).toEqual({
      kind: 'container', name: 'containerd:d52db56a9c80', containerId: 'd52db56a9c80d536a91354c0951c061187ca46249e64865a12703003d8f42366',
      podUid: 'bd12dd3393227d950605a2444b13c27a', runtime: 'containerd', qos: 'burstable',
    });
  });
});

/**
 * Podman pods (`podman pod create`, systemd cgroup manager): the pod is a slice,
 * `machine.slice/machine-libpod_pod_<id>.slice` (rootless `user-libpod_pod_<id>.slice` under
 * user@UID.service/user.slice), its containers `libpod-<id>.scope[/container]` inside it. The pod
 * slice and infra container ids are verbatim from a `podman pod inspect` output (CgroupPath,
 * InfraContainerID) published in a blog post found through the code index; the container path
 * under the slice follows podman's layout. diag named the pod slice a plain slice before.
 */
describe('nameCgroup: podman pods', () => {
  const POD = '188f0517ba031309629c0592d00fd847c0a48980233d10ec9a5449de764b07ca';
  const INFRA = 'dc30103f70b9ab2a56818470efee40358213f2a122a66d93b6426ddc5017f45d';
  const SLICE = `/machine.slice/machine-libpod_pod_${POD}.slice`;
  it('the pod slice is the podman pod', () => {
    expect(nameCgroup(SLICE)).toEqual({ kind: 'pod', name: 'podman-pod:188f0517ba03', podmanPodId: POD, runtime: 'podman' });
  });
  it.each([`${SLICE}/libpod-${INFRA}.scope`, `${SLICE}/libpod-${INFRA}.scope/container`])('a container in it keeps its own name and carries the pod: %s', (path) => {
    expect(nameCgroup(path)).toEqual({ kind: 'container', name: 'podman:dc30103f70b9', containerId: INFRA, podmanPodId: POD, runtime: 'podman' });
  });
  it('its conmon is the container\'s monitor, in the pod', () => {
    expect(nameCgroup(`${SLICE}/libpod-conmon-${INFRA}.scope`)).toEqual({ kind: 'container-monitor', name: 'podman:dc30103f70b9 (conmon)', containerId: INFRA, podmanPodId: POD, runtime: 'podman' });
  });
  it('rootless: user-libpod_pod_<id>.slice under the user manager', () => {
    expect(nameCgroup(`/user.slice/user-1000.slice/user@1000.service/user.slice/user-libpod_pod_${POD}.slice`)).toEqual({ kind: 'pod', name: 'podman-pod:188f0517ba03', podmanPodId: POD, runtime: 'podman' });
  });
  it('not a pod: a short or upper-case id, or another prefix, stays a slice', () => {
    expect(nameCgroup(`/machine.slice/machine-libpod_pod_${POD.slice(1)}.slice`)).toEqual({ kind: 'slice', name: `machine-libpod_pod_${POD.slice(1)}.slice` });
    expect(nameCgroup(`/machine.slice/machine-libpod_pod_${POD.toUpperCase()}.slice`).kind).toBe('slice');
    expect(nameCgroup(`/machine.slice/system-libpod_pod_${POD}.slice`).kind).toBe('slice');
  });
});
