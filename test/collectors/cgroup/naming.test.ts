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
